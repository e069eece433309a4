/**
 * Token and key material for the security tests: key pairs made per run
 * (nothing secret is committed), and hand-built JWTs for the attacks that a
 * JWT library refuses to produce (alg none, HS/RS key confusion, tampering).
 */
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Standard claims for a valid token: subject, one hour to live. */
export const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', exp: now() + 3600, ...extra });

/** A JWT built by hand; `sign` gets the signing input and returns the raw signature ('' for none). */
export function handMade(header: Record<string, unknown>, payload: Record<string, unknown>, sign: (input: string) => Buffer | string): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = sign(input);
  return `${input}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
}

/** An HS256 token signed with `secret` as raw bytes (any string, even a PEM). */
export const hs256 = (secret: string | Buffer, payload: Record<string, unknown>) =>
  handMade({ alg: 'HS256', typ: 'JWT' }, payload, (input) => createHmac('sha256', secret).update(input).digest());

/** The unsigned `alg: none` token (RFC 7519 §6). */
export const unsigned = (payload: Record<string, unknown>) => handMade({ alg: 'none', typ: 'JWT' }, payload, () => '');

/** Replaces a signed token's payload and keeps its signature. */
export function tamper(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url(payload)}.${signature}`;
}

export interface KeyPair {
  privateKey: KeyObject;
  publicPem: string;
}

/** A fresh key pair: RSA 2048 or EC on a named curve. */
export function keyPair(kind: 'rsa' | 'P-256' | 'P-384'): KeyPair {
  const { privateKey, publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: kind });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** A token signed by a private key with jsonwebtoken. */
export const signWith = (pair: KeyPair, algorithm: jwt.Algorithm, payload: Record<string, unknown>) =>
  jwt.sign(payload, pair.privateKey, { algorithm });
