import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../src/errors.js';

// The contract lives beside the repository (../shared/API.md) in this
// workplace and in CI; a clone without it cannot run this check.
const API_MD = new URL('../../../shared/API.md', import.meta.url);

describe('the error catalog', () => {
  it('matches the status table of API.md §1 code for code', { skip: !existsSync(API_MD) && 'LOUD SKIP: ../shared/API.md is not beside this checkout' }, () => {
    const table = new Map<string, number>();
    for (const line of readFileSync(API_MD, 'utf8').split('\n')) {
      const m = /^\| (\d{3}) \| (.+?) \|/.exec(line);
      if (!m) continue;
      for (const code of m[2]!.matchAll(/`([A-Z_]+)`/g)) table.set(code[1]!, Number(m[1]));
    }
    assert.ok(table.size >= 15, 'the table was found');
    for (const [code, status] of table) assert.equal(ERROR_CODES[code as keyof typeof ERROR_CODES], status, code);
    const extra = Object.keys(ERROR_CODES).filter((c) => !table.has(c));
    assert.deepEqual(extra, ['CONFLICT'], 'only CONFLICT (API.md §11, jobs) is outside the table');
  });
});
