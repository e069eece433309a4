/** API_KEYS_FILE loading and key checks (API.md §11). */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApiKeyStore, loadApiKeys, sha256Hex } from '../../src/auth/api-keys.js';
import { AppError } from '../../src/errors.js';
import { loadConfig } from '../../src/config.js';

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys.json');
  writeFileSync(path, content);
  return path;
}
const entry = (id: string, key: string, scopes: string[] = ['predict']) => ({ id, sha256: sha256Hex(key), scopes });

describe('ApiKeyStore.verify', () => {
  const store = new ApiKeyStore([entry('a', 'key-a', ['predict']), entry('b', 'key-b', ['admin'])] as never);
  it('returns the caller key:<id> with its scopes', () => {
    const caller = store.verify('key-b');
    assert.equal(caller.id, 'key:b');
    assert.deepEqual([...caller.scopes], ['admin']);
  });
  it('throws a 401 AppError for an unknown key', () => {
    assert.throws(() => store.verify('key-c'), (e: unknown) => e instanceof AppError && e.status === 401);
  });
});

describe('API_KEYS_FILE', () => {
  const refuses = (path: string, why: RegExp) =>
    assert.throws(() => loadConfig({ API_KEYS_FILE: path }), (e: Error) => /API_KEYS_FILE:/.test(e.message) && why.test(e.message));
  it('loads a valid file', () => {
    assert.equal(loadApiKeys(file(JSON.stringify([entry('a', 'k1'), entry('b', 'k2')]))).size, 2);
  });
  it('lets NODE_ENV=production start with API keys only', () => {
    assert.ok(loadConfig({ NODE_ENV: 'production', API_KEYS_FILE: file(JSON.stringify([entry('a', 'k1')])) }));
  });
  it('refuses a file that does not exist', () => refuses('/nonexistent/keys.json', /ENOENT/));
  it('refuses a file that is not JSON', () => refuses(file('{nope'), /not valid JSON/));
  it('refuses an entry whose sha256 is not 64 lowercase hex digits', () => {
    refuses(file(JSON.stringify([{ id: 'a', sha256: sha256Hex('k').toUpperCase(), scopes: ['predict'] }])), /sha256/);
    refuses(file(JSON.stringify([{ id: 'a', sha256: 'plain-text-key', scopes: ['predict'] }])), /sha256/);
  });
  it('refuses an unknown scope or a missing member', () => {
    refuses(file(JSON.stringify([entry('a', 'k', ['everything'])])), /scopes/);
    refuses(file(JSON.stringify([{ id: 'a', sha256: sha256Hex('k') }])), /scopes/);
  });
  it('refuses a duplicate id or key', () => {
    refuses(file(JSON.stringify([entry('a', 'k1'), entry('a', 'k2')])), /twice/);
    refuses(file(JSON.stringify([entry('a', 'k1'), entry('b', 'k1')])), /twice/);
  });
});
