/**
 * Start-up checks of the security settings (API.md §7, §9, §11): each bad
 * setting stops loadConfig with a message naming the variable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { keyPair } from '../helpers/tokens.js';

const SECRET = 'a-long-enough-secret-for-hs256-0123456789';

function refuses(env: Record<string, string>, variable: string, why?: RegExp): void {
  assert.throws(() => loadConfig(env), (err: Error) => {
    assert.equal(err.name, 'StartupError');
    assert.match(err.message, new RegExp(`${variable}:`));
    if (why) assert.match(err.message, why);
    return true;
  });
}

describe('loadConfig security checks', () => {
  describe('with NODE_ENV=production', () => {
    it('refuses to start without any authentication, naming AUTH_JWT_SECRET', () => {
      refuses({ NODE_ENV: 'production' }, 'AUTH_JWT_SECRET', /production/);
    });
    it("refuses CORS_ORIGINS containing '*', naming CORS_ORIGINS", () => {
      refuses({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, CORS_ORIGINS: 'https://app.example.com,*' }, 'CORS_ORIGINS');
    });
    it('starts with a secret and exact origins', () => {
      const config = loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' });
      assert.deepEqual(config.corsOrigins, ['https://app.example.com', 'http://localhost:3000']);
    });
    it('starts with only a public key', () => {
      assert.ok(loadConfig({ NODE_ENV: 'production', AUTH_JWT_PUBLIC_KEY: keyPair('rsa').publicPem }));
    });
  });
  describe('outside production', () => {
    it('starts without authentication (a development token is made at start)', () => {
      assert.ok(loadConfig({}));
    });
    it("accepts CORS_ORIGINS='*'", () => {
      assert.deepEqual(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins, ['*']);
    });
  });
  describe('CORS_ORIGINS', () => {
    for (const bad of ['https://app.example.com/', 'https://app.example.com/path', 'app.example.com', 'null', 'ftp://x.example.com']) {
      it(`refuses ${bad} (not an exact origin)`, () => refuses({ CORS_ORIGINS: bad }, 'CORS_ORIGINS'));
    }
  });
  describe('AUTH_JWT_PUBLIC_KEY', () => {
    it('refuses text that is not a PEM public key', () => refuses({ AUTH_JWT_PUBLIC_KEY: 'not a key' }, 'AUTH_JWT_PUBLIC_KEY'));
    it('refuses a private key', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      refuses({ AUTH_JWT_PUBLIC_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, 'AUTH_JWT_PUBLIC_KEY', /private/);
    });
    it('accepts a PEM with literal \\n escapes', () => {
      assert.ok(loadConfig({ AUTH_JWT_PUBLIC_KEY: keyPair('P-256').publicPem.trim().replace(/\n/g, '\\n') }));
    });
    it('refuses an Ed25519 key (no JWT algorithm for it here)', () => {
      const { publicKey } = generateKeyPairSync('ed25519');
      refuses({ AUTH_JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString() }, 'AUTH_JWT_PUBLIC_KEY');
    });
    it('refuses both AUTH_JWT_PUBLIC_KEY and AUTH_JWT_PUBLIC_KEY_FILE', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
      const file = join(dir, 'k.pem');
      const pem = keyPair('rsa').publicPem;
      writeFileSync(file, pem);
      refuses({ AUTH_JWT_PUBLIC_KEY: pem, AUTH_JWT_PUBLIC_KEY_FILE: file }, 'AUTH_JWT_PUBLIC_KEY_FILE');
    });
  });
  describe('AUTH_JWT_PUBLIC_KEY_FILE', () => {
    it('refuses a file that does not exist', () => refuses({ AUTH_JWT_PUBLIC_KEY_FILE: '/nonexistent/key.pem' }, 'AUTH_JWT_PUBLIC_KEY_FILE', /ENOENT/));
    it('refuses a file that holds no key', () => {
      const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'k.pem');
      writeFileSync(file, 'hello');
      refuses({ AUTH_JWT_PUBLIC_KEY_FILE: file }, 'AUTH_JWT_PUBLIC_KEY_FILE');
    });
  });
  describe('AUTH_JWT_ALGORITHMS', () => {
    it("refuses 'none'", () => refuses({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ALGORITHMS: 'none' }, 'AUTH_JWT_ALGORITHMS'));
    it('refuses an algorithm without a matching key', () => {
      refuses({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ALGORITHMS: 'RS256' }, 'AUTH_JWT_ALGORITHMS');
      refuses({ AUTH_JWT_PUBLIC_KEY: keyPair('rsa').publicPem, AUTH_JWT_ALGORITHMS: 'HS256' }, 'AUTH_JWT_ALGORITHMS');
      refuses({ AUTH_JWT_PUBLIC_KEY: keyPair('P-256').publicPem, AUTH_JWT_ALGORITHMS: 'ES384' }, 'AUTH_JWT_ALGORITHMS');
    });
    it('accepts algorithms that fit the keys', () => {
      assert.ok(loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ALGORITHMS: 'HS256,HS512' }));
      assert.ok(loadConfig({ AUTH_JWT_PUBLIC_KEY: keyPair('rsa').publicPem, AUTH_JWT_ALGORITHMS: 'RS256,PS256' }));
    });
  });
});
