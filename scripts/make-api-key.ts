/**
 * Makes a new random API key (npm run -s api-key -- --id NAME [options]).
 * The key itself is stored nowhere: only its SHA-256 goes into API_KEYS_FILE.
 *
 *   --id batch-job                 the key's id; the caller is key:<id> (required)
 *   --scopes predict,models:read   comma- or space-separated [predict]
 *   --file api-keys.json           add the entry to this file (created if
 *                                  missing) and print only the key
 *
 * Without --file it prints two lines on stdout: the key, then the JSON entry
 * to add to the array in API_KEYS_FILE.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sha256Hex } from '../src/auth/api-keys.js';
import { parseScopes } from '../src/auth/scopes.js';

function fail(message: string): never {
  process.stderr.write(`make-api-key: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    scopes: { type: 'string', default: 'predict' },
    file: { type: 'string' },
  },
});
const id = values.id ?? fail('--id is required (e.g. --id batch-job)');
if (!/^[A-Za-z0-9._:-]{1,64}$/.test(id)) fail('--id may hold letters, digits and . _ : - (at most 64)');
const { scopes, unknown } = parseScopes(values.scopes.split(/[\s,]+/).filter((s) => s !== ''));
if (unknown.length > 0) fail(`unknown scope ${unknown.join(', ')}; use predict, models:read, models:write, admin`);
if (scopes.length === 0) fail('--scopes needs at least one scope');

// 256 random bits: guessing is hopeless, so a plain SHA-256 suffices (no slow hash needed).
const key = `sk_${randomBytes(32).toString('base64url')}`;
const entry = { id, sha256: sha256Hex(key), scopes: [...new Set(scopes)] };

if (values.file === undefined) {
  process.stdout.write(`${key}\n${JSON.stringify(entry)}\n`);
  process.stderr.write('Give the key (first line) to the caller; add the entry (second line) to the array in API_KEYS_FILE.\n');
} else {
  const file = values.file;
  let entries: Array<{ id: string }> = [];
  if (existsSync(file)) {
    try {
      entries = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      fail(`${file} is not valid JSON`);
    }
    if (!Array.isArray(entries)) fail(`${file} does not hold a JSON array`);
    if (entries.some((e) => e.id === id)) fail(`${file} already has a key with id ${id}`);
  }
  entries.push(entry);
  writeFileSync(file, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
  process.stdout.write(`${key}\n`);
  process.stderr.write(`Added ${id} (${entry.scopes.join(' ')}) to ${file}; the key above is shown only once.\n`);
}
