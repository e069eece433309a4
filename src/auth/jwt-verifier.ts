/**
 * Verifies bearer tokens with jsonwebtoken (API.md §7, §11): the key is
 * chosen among the configured ones by the token's `alg`, and jsonwebtoken
 * checks that `alg` again against that key's configured algorithms, the
 * signature, `exp`/`nbf` (30 s clock tolerance) and `iss`/`aud` when
 * configured. `exp` and `sub` are required.
 */
import jwt from 'jsonwebtoken';
import type { Caller } from './caller.js';
import { invalidCredentials } from './challenges.js';
import type { JwtKey } from './jwt-keys.js';
import { scopesOf } from './scopes.js';
import { VerifiedTokens } from './verified-tokens.js';

export interface JwtVerifierOptions {
  issuer?: string;
  audience?: string;
}

export const CLOCK_TOLERANCE_S = 30;

export class JwtVerifier {
  /** Successes, re-checked for exp/nbf on each use (verified-tokens.ts). */
  private readonly verified = new VerifiedTokens(CLOCK_TOLERANCE_S);

  constructor(
    private readonly keys: readonly JwtKey[],
    private readonly options: JwtVerifierOptions = {},
  ) {}

  /** The caller a token proves; throws a 401 AppError when the token is not trusted. */
  verify(token: string): Caller {
    const known = this.verified.get(token);
    if (known) return known;
    const alg = headerAlg(token);
    const key = this.keys.find((k) => (k.algorithms as readonly string[]).includes(alg ?? ''));
    if (!key) throw invalidCredentials('The bearer token is not valid');
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, key.key, {
        algorithms: [...key.algorithms],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: CLOCK_TOLERANCE_S,
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw invalidCredentials('The bearer token has expired');
      if (err instanceof jwt.NotBeforeError) throw invalidCredentials('The bearer token is not valid yet');
      throw invalidCredentials('The bearer token is not valid');
    }
    if (typeof payload !== 'object' || payload === null) throw invalidCredentials('The bearer token is not valid');
    if (typeof payload.exp !== 'number') throw invalidCredentials('The bearer token has no expiry (exp)');
    if (typeof payload.sub !== 'string' || payload.sub === '') throw invalidCredentials('The bearer token has no subject (sub)');
    const caller: Caller = { id: `sub:${payload.sub}`, scopes: scopesOf(payload) };
    this.verified.set(token, caller, payload.exp, payload.nbf);
    return caller;
  }
}

/** The `alg` of a token's header, read without trusting it (it only picks a key). */
function headerAlg(token: string): string | undefined {
  try {
    const decoded = jwt.decode(token, { complete: true });
    const alg = decoded?.header.alg;
    return typeof alg === 'string' ? alg : undefined;
  } catch {
    return undefined;
  }
}
