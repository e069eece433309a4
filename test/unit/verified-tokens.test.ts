import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { JwtVerifier } from '../../src/auth/jwt-verifier.js';
import { loadJwtKeys } from '../../src/auth/jwt-keys.js';
import { VerifiedTokens } from '../../src/auth/verified-tokens.js';
import type { Caller } from '../../src/auth/caller.js';

const caller: Caller = { id: 'sub:a', scopes: new Set(['predict']) };

describe('VerifiedTokens', () => {
  it('answers a token it holds until exp + tolerance, then forgets it', () => {
    let now = 1_000_000_000_000;
    const cache = new VerifiedTokens(30, 100, () => now);
    assert.equal(cache.get('t'), undefined);
    cache.set('t', caller, now / 1000 + 60, undefined);
    assert.equal(cache.get('t'), caller);
    now += (60 + 29) * 1000;
    assert.equal(cache.get('t'), caller, 'inside the clock tolerance');
    now += 1000;
    assert.equal(cache.get('t'), undefined, 'at exp + tolerance it is expired, as jsonwebtoken says');
    assert.equal(cache.size, 0);
  });
  it('does not answer a token before nbf - tolerance', () => {
    const now = 1_000_000_000_000;
    const cache = new VerifiedTokens(30, 100, () => now);
    cache.set('t', caller, now / 1000 + 600, now / 1000 + 31);
    assert.equal(cache.get('t'), undefined);
    cache.set('u', caller, now / 1000 + 600, now / 1000 + 30);
    assert.equal(cache.get('u'), caller);
  });
  it('holds at most `max` tokens, dropping the least recently used', () => {
    const cache = new VerifiedTokens(30, 2);
    const exp = Date.now() / 1000 + 60;
    cache.set('a', caller, exp, undefined);
    cache.set('b', caller, exp, undefined);
    cache.get('a');
    cache.set('c', caller, exp, undefined);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), caller);
  });
});

describe('JwtVerifier with its verified-token cache', () => {
  const secret = 'verified-tokens-test-secret-0123456789abcdef';
  const verifier = new JwtVerifier(loadJwtKeys({ jwtSecret: secret }));
  const token = jwt.sign({ scope: 'predict' }, secret, { algorithm: 'HS256', subject: 'alice', expiresIn: '1h' });
  it('answers the same caller for the same token, twice', () => {
    const first = verifier.verify(token);
    assert.equal(first.id, 'sub:alice');
    assert.deepEqual(verifier.verify(token), first);
  });
  it('still refuses a token with the same payload and another signature after the genuine one was verified', () => {
    verifier.verify(token);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    assert.throws(() => verifier.verify(forged), (err: { code?: string }) => err.code === 'UNAUTHORIZED');
    const otherKey = jwt.sign({ scope: 'admin' }, 'another-secret-0123456789abcdef0123456789', { algorithm: 'HS256', subject: 'alice', expiresIn: '1h' });
    assert.throws(() => verifier.verify(otherKey), (err: { code?: string }) => err.code === 'UNAUTHORIZED');
  });
});
