/**
 * Which keys verify JWTs, and with which algorithms (API.md §7, §11). The
 * allowed algorithms come from the configuration, never from a token: each
 * key is paired with the algorithms that fit its type, so an HS256 token can
 * never be checked against a public key (key confusion) and `none` is never
 * allowed. Defaults: secret → HS256, RSA → RS256, P-256 → ES256.
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Algorithm } from 'jsonwebtoken';

export interface JwtSettings {
  readonly jwtSecret?: string;
  readonly jwtPublicKey?: string;
  readonly jwtPublicKeyFile?: string;
  readonly jwtAlgorithms?: readonly string[];
}

/** A verification key and the algorithms it may verify. */
export interface JwtKey {
  readonly key: KeyObject;
  readonly algorithms: readonly Algorithm[];
}

/** A configuration problem, with the environment variable to fix. */
export class KeyConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'KeyConfigError';
  }
}

const CURVE_ALG: Record<string, Algorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** Whether `alg` may be verified with `key` (the key-type check that stops HS/RS confusion). */
function fits(alg: string, key: KeyObject): boolean {
  if (alg.startsWith('HS')) return key.type === 'secret';
  if (key.type !== 'public') return false;
  const type = key.asymmetricKeyType;
  if (alg.startsWith('RS')) return type === 'rsa';
  if (alg.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss';
  if (alg.startsWith('ES')) return type === 'ec' && CURVE_ALG[key.asymmetricKeyDetails?.namedCurve ?? ''] === alg;
  return false;
}

function defaultAlgorithm(key: KeyObject, variable: string): Algorithm {
  if (key.type === 'secret') return 'HS256';
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'rsa-pss') return 'PS256';
  const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
  if (type === 'ec' && CURVE_ALG[curve]) return CURVE_ALG[curve];
  throw new KeyConfigError(variable, `a ${type}${curve ? ` (${curve})` : ''} key is not supported; use an RSA or EC P-256/P-384/P-521 key`);
}

/** The PEM text of the configured public key, or undefined when none is configured. */
function publicKeyPem(s: JwtSettings): { pem: string; variable: string } | undefined {
  if (s.jwtPublicKey !== undefined && s.jwtPublicKeyFile !== undefined) {
    throw new KeyConfigError('AUTH_JWT_PUBLIC_KEY_FILE', 'set either AUTH_JWT_PUBLIC_KEY or AUTH_JWT_PUBLIC_KEY_FILE, not both');
  }
  // An inline PEM may use real newlines or the two characters `\n` (API.md §11).
  if (s.jwtPublicKey !== undefined) return { pem: s.jwtPublicKey.replace(/\\n/g, '\n'), variable: 'AUTH_JWT_PUBLIC_KEY' };
  if (s.jwtPublicKeyFile === undefined) return undefined;
  try {
    return { pem: readFileSync(s.jwtPublicKeyFile, 'utf8'), variable: 'AUTH_JWT_PUBLIC_KEY_FILE' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new KeyConfigError('AUTH_JWT_PUBLIC_KEY_FILE', `cannot read ${s.jwtPublicKeyFile} (${code})`);
  }
}

function parsePublicKey(pem: string, variable: string): KeyObject {
  // createPublicKey would happily derive a public key from a private one; a
  // private key has no business in this service's environment.
  if (/PRIVATE KEY-----/.test(pem)) throw new KeyConfigError(variable, 'holds a private key; give the PEM public key instead');
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyConfigError(variable, 'is not a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
}

/** Builds the verification keys from the configuration; throws a KeyConfigError naming the variable to fix. */
export function loadJwtKeys(s: JwtSettings): JwtKey[] {
  const keys: Array<{ key: KeyObject; variable: string }> = [];
  if (s.jwtSecret !== undefined) keys.push({ key: createSecretKey(Buffer.from(s.jwtSecret, 'utf8')), variable: 'AUTH_JWT_SECRET' });
  const pub = publicKeyPem(s);
  if (pub) keys.push({ key: parsePublicKey(pub.pem, pub.variable), variable: pub.variable });

  if (s.jwtAlgorithms === undefined) {
    return keys.map(({ key, variable }) => ({ key, algorithms: [defaultAlgorithm(key, variable)] }));
  }
  for (const alg of s.jwtAlgorithms) {
    if (alg.toLowerCase() === 'none') throw new KeyConfigError('AUTH_JWT_ALGORITHMS', "'none' is never allowed");
    if (!keys.some(({ key }) => fits(alg, key))) {
      throw new KeyConfigError('AUTH_JWT_ALGORITHMS', `${alg} needs ${alg.startsWith('HS') ? 'AUTH_JWT_SECRET' : 'a matching AUTH_JWT_PUBLIC_KEY'}`);
    }
  }
  return keys.map(({ key, variable }) => {
    const algorithms = s.jwtAlgorithms!.filter((alg) => fits(alg, key)) as Algorithm[];
    if (algorithms.length === 0) throw new KeyConfigError('AUTH_JWT_ALGORITHMS', `no listed algorithm fits the key in ${variable}`);
    return { key, algorithms };
  });
}
