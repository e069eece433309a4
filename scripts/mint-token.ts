/**
 * Mints a JWT for local use (npm run -s token -- [options]); prints only the
 * token on stdout, so `TOKEN=$(npm run -s token)` works.
 *
 * Key: AUTH_JWT_SECRET (HS256), or a PEM private key from --key FILE or
 * AUTH_JWT_PRIVATE_KEY_FILE (RS256 for RSA, ES256/384/512 for EC, unless
 * --alg or the first of AUTH_JWT_ALGORITHMS says otherwise). AUTH_JWT_ISSUER
 * and AUTH_JWT_AUDIENCE are used as iss/aud when set.
 *
 *   --scope "predict models:read"   scopes, space- or comma-separated [admin]
 *   --sub alice                     subject [local-user]
 *   --expires 1h                    lifetime: 90, 30m, 12h, 7d [1h]
 *   --key private.pem --alg RS256 --iss URL --aud NAME
 */
import { createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { parseScopes } from '../src/auth/scopes.js';

const CURVE_ALG: Record<string, jwt.Algorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

function fail(message: string): never {
  process.stderr.write(`mint-token: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    scope: { type: 'string', default: 'admin' },
    sub: { type: 'string', default: 'local-user' },
    expires: { type: 'string', default: '1h' },
    key: { type: 'string' },
    alg: { type: 'string' },
    iss: { type: 'string' },
    aud: { type: 'string' },
  },
});
const env = process.env;

function signingKey(): { key: KeyObject; alg: jwt.Algorithm } {
  const configured = (values.alg ?? env.AUTH_JWT_ALGORITHMS?.split(',')[0]?.trim()) as jwt.Algorithm | undefined;
  const file = values.key ?? env.AUTH_JWT_PRIVATE_KEY_FILE;
  if (file) {
    let key: KeyObject;
    try {
      key = createPrivateKey(readFileSync(file, 'utf8'));
    } catch {
      fail(`${file} is not a readable PEM private key`);
    }
    const type = key.asymmetricKeyType;
    const alg = configured ?? (type === 'rsa' ? 'RS256' : CURVE_ALG[key.asymmetricKeyDetails?.namedCurve ?? '']);
    if (!alg) fail(`no JWT algorithm for a ${type} key; use RSA or EC P-256`);
    return { key, alg };
  }
  if (env.AUTH_JWT_SECRET) return { key: createSecretKey(Buffer.from(env.AUTH_JWT_SECRET.trim(), 'utf8')), alg: configured ?? 'HS256' };
  fail('set AUTH_JWT_SECRET, or pass --key private.pem (or AUTH_JWT_PRIVATE_KEY_FILE)');
}

const names = values.scope.split(/[\s,]+/).filter((s) => s !== '');
const { scopes, unknown } = parseScopes(names);
if (unknown.length > 0) fail(`unknown scope ${unknown.join(', ')}; use predict, models:read, models:write, admin`);
const expiresIn = /^\d+$/.test(values.expires) ? Number(values.expires) : values.expires;
const { key, alg } = signingKey();
const iss = values.iss ?? env.AUTH_JWT_ISSUER;
const aud = values.aud ?? env.AUTH_JWT_AUDIENCE;
try {
  const token = jwt.sign({ scope: scopes.join(' ') }, key, {
    algorithm: alg,
    subject: values.sub,
    expiresIn: expiresIn as jwt.SignOptions['expiresIn'],
    ...(iss ? { issuer: iss } : {}),
    ...(aud ? { audience: aud } : {}),
  });
  process.stdout.write(`${token}\n`);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
