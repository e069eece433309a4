/**
 * JWT authentication over real HTTP (API.md §1, §7, §11), including the
 * attacks of issue 3: alg none, HS/RS key confusion, a tampered payload,
 * expired and not-yet-valid tokens, wrong iss/aud, a token in the query
 * string, and scope escalation.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import jwt from 'jsonwebtoken';
import { expectError, SAMPLES, startServer, TEST_JWT_SECRET, testToken, type Reply, type TestServer } from '../helpers/server.js';
import { claims, handMade, hs256, keyPair, signWith, tamper, unsigned } from '../helpers/tokens.js';

const PREDICT = { model: 'loan-approval', features: SAMPLES['loan-approval'] };
const now = () => Math.floor(Date.now() / 1000);

function expect401(r: Reply, tokenSent: boolean): void {
  expectError(r, 401, 'UNAUTHORIZED');
  const expected = tokenSent ? 'Bearer realm="api", error="invalid_token"' : 'Bearer realm="api"';
  assert.equal(r.headers.get('www-authenticate'), expected);
}

function expect403(r: Reply, scope: string): void {
  expectError(r, 403, 'FORBIDDEN');
  assert.equal(r.headers.get('www-authenticate'), `Bearer realm="api", error="insufficient_scope", scope="${scope}"`);
}

describe('JWT authentication with HS256 (AUTH_JWT_SECRET)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.close());
  const models = (auth: string | false, headers?: Record<string, string>) => t.call('GET', '/api/v1/models', { auth, headers });
  const predict = (auth: string | false, body: unknown = PREDICT) => t.call('POST', '/api/v1/predict', { auth, body });

  describe('without credentials', () => {
    it('answers 401 UNAUTHORIZED with WWW-Authenticate: Bearer realm="api"', async () => {
      expect401(await models(false), false);
      expect401(await predict(false), false);
    });
    it('answers 404 for an unknown path and 405 for a wrong method (routing before authentication)', async () => {
      expectError(await t.call('GET', '/api/v1/nope', { auth: false }), 404, 'NOT_FOUND');
      expectError(await t.call('DELETE', '/api/v1/predict', { auth: false }), 405, 'METHOD_NOT_ALLOWED');
    });
    it('answers 401 before looking at the body (not 415 or 422)', async () => {
      expect401(await t.call('POST', '/api/v1/predict', { auth: false, raw: 'x', headers: { 'content-type': 'text/plain' } }), false);
      expect401(await predict(false, { model: 'loan-approval', features: { age: 'old' } }), false);
    });
    it('leaves health open', async () => {
      assert.equal((await t.call('GET', '/api/v1/health', { auth: false })).status, 200);
      assert.equal((await t.call('GET', '/api/v1/health', { auth: 'garbage' })).status, 200);
    });
  });

  describe('with a valid token', () => {
    it('answers 200 and accepts the Bearer scheme in any case', async () => {
      const token = testToken('models:read');
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        const r = await models(false, { authorization: `${scheme} ${token}` });
        assert.equal(r.status, 200, scheme);
      }
    });
    it('takes scopes from scope, scopes and permissions together', async () => {
      const sign = (payload: Record<string, unknown>) => jwt.sign(payload, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'bob', expiresIn: 60 });
      assert.equal((await predict(sign({ scopes: ['predict'] }))).status, 200);
      assert.equal((await models(sign({ permissions: ['models:read'] }))).status, 200);
      const both = sign({ scope: 'openid predict', permissions: ['models:read'] });
      assert.equal((await predict(both)).status, 200);
      assert.equal((await models(both)).status, 200);
    });
    it('accepts a token minted by another library (jose)', async () => {
      const token = await new jose.SignJWT({ scope: 'predict' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('jose-user')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      assert.equal((await predict(token)).status, 200);
    });
    it('accepts a token expired or not yet valid by less than the 30 s clock tolerance', async () => {
      assert.equal((await models(hs256(TEST_JWT_SECRET, claims({ scope: 'admin', exp: now() - 10 })))).status, 200);
      assert.equal((await models(hs256(TEST_JWT_SECRET, claims({ scope: 'admin', nbf: now() + 10 })))).status, 200);
    });
    it('never writes the token to the log', async () => {
      const token = testToken('admin', 'log-check');
      await models(token);
      await models(token.slice(0, -2) + 'xx');
      assert.ok(!JSON.stringify(t.logs).includes(token.split('.')[2]!));
    });
  });

  describe('attack: alg none', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await models(unsigned(claims({ scope: 'admin' }))), true);
      expect401(await models(unsigned(claims({ scope: 'admin' })) + 'c2ln'), true);
      for (const alg of ['None', 'NONE', 'nOnE']) expect401(await models(handMade({ alg }, claims({ scope: 'admin' }), () => '')), true);
    });
  });
  describe('attack: tampered payload (scope raised, signature kept)', () => {
    it('answers 401 invalid_token', async () => {
      const genuine = hs256(TEST_JWT_SECRET, claims({ scope: 'models:read' }));
      assert.equal((await models(genuine)).status, 200);
      expect401(await predict(tamper(genuine, claims({ scope: 'admin' }))), true);
    });
  });
  describe('attack: a token signed with another secret, or with another HMAC algorithm', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await models(hs256('not-the-secret', claims({ scope: 'admin' }))), true);
      const hs384 = jwt.sign(claims({ scope: 'admin' }), TEST_JWT_SECRET, { algorithm: 'HS384' });
      expect401(await models(hs384), true);
    });
  });
  describe('attack: expired token', () => {
    it('answers 401 saying it expired', async () => {
      const r = await models(hs256(TEST_JWT_SECRET, claims({ scope: 'admin', exp: now() - 3600 })));
      expect401(r, true);
      assert.match(r.body.error.message, /expired/);
    });
  });
  describe('attack: nbf in the future', () => {
    it('answers 401 saying it is not valid yet', async () => {
      const r = await models(hs256(TEST_JWT_SECRET, claims({ scope: 'admin', nbf: now() + 600 })));
      expect401(r, true);
      assert.match(r.body.error.message, /not valid yet/);
    });
  });
  describe('with a token missing exp or sub', () => {
    it('answers 401', async () => {
      expect401(await models(hs256(TEST_JWT_SECRET, { sub: 'alice', scope: 'admin' })), true);
      expect401(await models(hs256(TEST_JWT_SECRET, { exp: now() + 60, scope: 'admin' })), true);
      expect401(await models(hs256(TEST_JWT_SECRET, { sub: '', exp: now() + 60, scope: 'admin' })), true);
    });
  });
  describe('with garbage or an empty bearer token', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await models('not.a.jwt'), true);
      expect401(await models(false, { authorization: 'Bearer' }), true);
      expect401(await models(false, { authorization: 'Bearer    ' }), true);
    });
  });
  describe('attack: token in the query string', () => {
    it('is ignored: 401 as if no credentials were sent', async () => {
      const token = testToken('admin');
      expect401(await t.call('GET', `/api/v1/models?access_token=${token}`, { auth: false }), false);
      expect401(await t.call('GET', `/api/v1/models?token=${token}`, { auth: false }), false);
    });
    it('keeps the token out of the request log', async () => {
      const token = testToken('admin', 'query-log-check');
      await t.call('GET', `/api/v1/models?access_token=${token}&page=2`, { auth: false });
      const line = t.logs.find((l) => typeof l.url === 'string' && l.url.includes('page=2'));
      assert.equal(line?.url, '/api/v1/models?access_token=[redacted]&page=2');
      assert.ok(!JSON.stringify(t.logs).includes(token.split('.')[2]!));
    });
  });
  describe('attack: token in a cookie or with another scheme', () => {
    it('is ignored: 401 as if no credentials were sent', async () => {
      const token = testToken('admin');
      expect401(await models(false, { cookie: `token=${token}` }), false);
      expect401(await models(false, { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` }), false);
    });
  });
  describe('attack: scope escalation (models:read trying to predict)', () => {
    it('answers 403 FORBIDDEN with insufficient_scope and the needed scope', async () => {
      expect403(await predict(testToken('models:read')), 'predict');
      expect403(await t.call('POST', '/api/v1/predict/batch', { auth: testToken('models:read'), body: {} }), 'predict');
      expect403(await models(testToken('predict')), 'models:read');
    });
    it('answers 403 before validating the body (not 422)', async () => {
      expect403(await predict(testToken('models:read'), { features: 'nonsense' }), 'predict');
    });
  });
});

describe('JWT authentication with RS256 (AUTH_JWT_PUBLIC_KEY)', () => {
  const rsa = keyPair('rsa');
  let t: TestServer;
  before(async () => {
    // The PEM inline with `\n` escapes, as it would sit in a one-line .env file.
    t = await startServer({ env: { AUTH_JWT_SECRET: '', AUTH_JWT_PUBLIC_KEY: rsa.publicPem.trim().replace(/\n/g, '\\n') } });
  });
  after(() => t.close());
  const models = (auth: string) => t.call('GET', '/api/v1/models', { auth });

  it('accepts an RS256 token signed by the private key', async () => {
    assert.equal((await models(signWith(rsa, 'RS256', claims({ scope: 'models:read' })))).status, 200);
  });
  it('accepts an RS256 token minted by jose', async () => {
    const token = await new jose.SignJWT({ scope: 'models:read' })
      .setProtectedHeader({ alg: 'RS256' }).setSubject('jose').setExpirationTime('5m').sign(rsa.privateKey);
    assert.equal((await models(token)).status, 200);
  });
  describe('attack: HS256 signed with the public key as the secret (key confusion)', () => {
    it('answers 401 invalid_token', async () => {
      for (const secret of [rsa.publicPem, rsa.publicPem.trim()]) expect401(await models(hs256(secret, claims({ scope: 'admin' }))), true);
    });
  });
  describe('attack: alg none', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await models(unsigned(claims({ scope: 'admin' }))), true);
    });
  });
  describe('attack: a token carrying its own key in the header (jwk / jku / x5u)', () => {
    it('answers 401 invalid_token: header keys are never used', async () => {
      const attacker = keyPair('rsa');
      const jwk = createPublicKey(attacker.publicPem).export({ format: 'jwk' });
      const token = jwt.sign(claims({ scope: 'admin' }), attacker.privateKey, {
        algorithm: 'RS256', header: { alg: 'RS256', jwk, jku: 'https://evil.example.com/jwks.json', x5u: 'https://evil.example.com/cert.pem' } as jwt.JwtHeader,
      });
      expect401(await models(token), true);
    });
  });
  describe('attack: a token signed by another RSA key, or an RS512 token when RS256 is configured', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await models(signWith(keyPair('rsa'), 'RS256', claims({ scope: 'admin' }))), true);
      expect401(await models(signWith(rsa, 'RS512', claims({ scope: 'admin' }))), true);
    });
  });
  it('refuses an HS256 token made with the harness secret (no secret is configured)', async () => {
    expect401(await models(testToken('admin')), true);
  });
});

describe('JWT authentication with ES256 from AUTH_JWT_PUBLIC_KEY_FILE, with AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE', () => {
  const ec = keyPair('P-256');
  const ISS = 'https://issuer.example.com/';
  const AUD = 'onnx-serving';
  let t: TestServer;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-key-'));
    const file = join(dir, 'public.pem');
    writeFileSync(file, ec.publicPem);
    t = await startServer({ env: { AUTH_JWT_SECRET: '', AUTH_JWT_PUBLIC_KEY_FILE: file, AUTH_JWT_ISSUER: ISS, AUTH_JWT_AUDIENCE: AUD } });
  });
  after(() => t.close());
  const models = (auth: string) => t.call('GET', '/api/v1/models', { auth });

  it('accepts an ES256 token with the right iss and aud', async () => {
    assert.equal((await models(signWith(ec, 'ES256', claims({ scope: 'admin', iss: ISS, aud: AUD })))).status, 200);
  });
  it('accepts an aud array that contains the audience', async () => {
    assert.equal((await models(signWith(ec, 'ES256', claims({ scope: 'admin', iss: ISS, aud: ['other', AUD] })))).status, 200);
  });
  describe('attack: wrong or missing iss', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await models(signWith(ec, 'ES256', claims({ scope: 'admin', iss: 'https://evil.example.com/', aud: AUD }))), true);
      expect401(await models(signWith(ec, 'ES256', claims({ scope: 'admin', aud: AUD }))), true);
    });
  });
  describe('attack: wrong or missing aud', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await models(signWith(ec, 'ES256', claims({ scope: 'admin', iss: ISS, aud: 'another-api' }))), true);
      expect401(await models(signWith(ec, 'ES256', claims({ scope: 'admin', iss: ISS }))), true);
    });
  });
  describe('attack: an RS256 token, or an ES256 token from another key', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await models(signWith(keyPair('rsa'), 'RS256', claims({ scope: 'admin', iss: ISS, aud: AUD }))), true);
      expect401(await models(signWith(keyPair('P-256'), 'ES256', claims({ scope: 'admin', iss: ISS, aud: AUD }))), true);
    });
  });
});
