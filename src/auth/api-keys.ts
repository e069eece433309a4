/**
 * API keys for server-to-server callers (API.md §7, §11), sent as
 * `X-API-Key`. API_KEYS_FILE holds `[{"id", "sha256", "scopes"}]`: the SHA-256
 * of each key, never the key. A presented key is hashed and compared with
 * every entry in constant time (crypto.timingSafeEqual, no early exit), so
 * neither the hash nor which entry matched leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Scope } from '../http/guard.js';
import { schemaValidator } from '../validation/ajv.js';
import type { Caller } from './caller.js';
import { invalidCredentials } from './challenges.js';
import { KeyConfigError } from './jwt-keys.js';

interface ApiKeyEntry {
  id: string;
  sha256: string;
  scopes: Scope[];
}

interface StoredKey {
  digest: Buffer;
  caller: Caller;
}

/** The hex SHA-256 of a key, as API_KEYS_FILE stores it. */
export const sha256Hex = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Reads and checks API_KEYS_FILE; throws a KeyConfigError naming API_KEYS_FILE. */
export function loadApiKeys(file: string): ApiKeyStore {
  const fail = (why: string) => new KeyConfigError('API_KEYS_FILE', `${file}: ${why}`);
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code ? `cannot read it (${code})` : 'is not valid JSON');
  }
  const validate = schemaValidator<ApiKeyEntry[]>('api-keys.schema.json');
  if (!validate(entries)) {
    const e = validate.errors?.[0];
    throw fail(`${e?.instancePath || '/'} ${e?.message ?? 'is invalid'} (expected [{"id", "sha256", "scopes"}])`);
  }
  const ids = new Set<string>();
  const hashes = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.id)) throw fail(`the id ${entry.id} appears twice`);
    if (hashes.has(entry.sha256)) throw fail(`the key of ${entry.id} appears twice`);
    ids.add(entry.id);
    hashes.add(entry.sha256);
  }
  return new ApiKeyStore(entries);
}

export class ApiKeyStore {
  private readonly keys: readonly StoredKey[];

  constructor(entries: readonly ApiKeyEntry[]) {
    this.keys = entries.map((e) => ({
      digest: Buffer.from(e.sha256, 'hex'),
      caller: Object.freeze({ id: `key:${e.id}`, scopes: new Set(e.scopes) }),
    }));
  }

  get size(): number {
    return this.keys.length;
  }

  /** The caller a key proves; throws a 401 AppError for an unknown key. */
  verify(key: string): Caller {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: Caller | undefined;
    // Every entry is compared, whether or not one matched already.
    for (const stored of this.keys) {
      if (timingSafeEqual(digest, stored.digest) && found === undefined) found = stored.caller;
    }
    if (!found) throw invalidCredentials('The API key is not valid');
    return found;
  }
}
