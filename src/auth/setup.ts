/**
 * Builds the credential checkers from the configuration, and the secure
 * default (API.md §7): outside production with no auth configured, a random
 * HS256 secret is made at start and a development token with scope `admin`
 * is minted for main.ts to print once. In production that case never gets
 * here: loadConfig refuses to start (src/config.ts).
 */
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../config-types.js';
import type { Logger } from '../logger.js';
import { loadApiKeys } from './api-keys.js';
import type { Credentials } from './authenticator.js';
import { loadJwtKeys } from './jwt-keys.js';
import { JwtVerifier } from './jwt-verifier.js';

/** Long enough for a working session; the secret dies with the process anyway. */
const DEV_TOKEN_LIFETIME = '30d';
/** HS256 wants at least 256 bits of key (RFC 7518 §3.2). */
const MIN_SECRET_BYTES = 32;

export interface Auth {
  credentials: Credentials;
  /** Set only when no auth was configured outside production: print it once. */
  devToken?: string;
}

/** Whether any credential source is configured. */
export function authConfigured(auth: Config['auth']): boolean {
  return [auth.jwtSecret, auth.jwtPublicKey, auth.jwtPublicKeyFile, auth.apiKeysFile].some((v) => v !== undefined);
}

/** The credential checkers for a config (already checked by loadConfig). */
export function createAuth(config: Config, logger: Logger): Auth {
  const { auth } = config;
  const claims = { issuer: auth.jwtIssuer, audience: auth.jwtAudience };
  if (!authConfigured(auth)) {
    const secret = randomBytes(32).toString('base64url');
    const keys = loadJwtKeys({ jwtSecret: secret });
    const devToken = jwt.sign({ scope: 'admin' }, secret, {
      algorithm: 'HS256',
      subject: 'dev',
      expiresIn: DEV_TOKEN_LIFETIME,
      ...(auth.jwtIssuer ? { issuer: auth.jwtIssuer } : {}),
      ...(auth.jwtAudience ? { audience: auth.jwtAudience } : {}),
    });
    logger.warn('no authentication configured: made a random secret and a development token (scope admin, valid until restart); paste the export TOKEN=… line below into your shell');
    return { credentials: { jwt: new JwtVerifier(keys, claims) }, devToken };
  }
  if (auth.jwtSecret !== undefined && Buffer.byteLength(auth.jwtSecret) < MIN_SECRET_BYTES) {
    logger.warn(`AUTH_JWT_SECRET is shorter than ${MIN_SECRET_BYTES} bytes; use a longer random secret (openssl rand -base64 48)`);
  }
  const keys = loadJwtKeys(auth);
  const credentials: Credentials = {};
  if (keys.length > 0) credentials.jwt = new JwtVerifier(keys, claims);
  if (auth.apiKeysFile !== undefined) {
    const apiKeys = loadApiKeys(auth.apiKeysFile);
    credentials.apiKeys = apiKeys;
    logger.info({ api_keys: apiKeys.size }, 'API keys loaded');
  }
  return { credentials };
}
