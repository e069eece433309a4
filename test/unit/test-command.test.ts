/**
 * Issue 19: the README's one test command is what CI runs, and what it needs
 * is named in one place (scripts/test-tools.sh), which `npm test` checks first.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/process.js';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const commands = (script: string) =>
  script.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; scripts: Record<string, string> };

describe('the test command', () => {
  it('is in the README quick start, and .ci/run runs it and nothing else', () => {
    const quickStart = read('README.md').split('## Quick start')[1]!.split('\n## ')[0]!;
    assert.match(quickStart, /^bash scripts\/test-all\.sh\b/m);
    assert.deepEqual(commands(read('.ci/run')), ['set -euo pipefail', 'cd "$(dirname "$0")/.."', 'bash scripts/test-all.sh']);
  });

  it('installs the tools, then Node 24, then runs npm ci and npm test', () => {
    assert.deepEqual(commands(read('scripts/test-all.sh')).slice(-4), [
      'bash scripts/test-tools.sh install', 'source scripts/node24-env.sh', 'npm ci', 'npm test',
    ]);
  });

  it('has npm test check the tools and the Node version first', () => {
    assert.equal(pkg.scripts.pretest, 'bash scripts/test-tools.sh check');
  });

  it('runs on the Node that package.json engines requires', () => {
    assert.equal(pkg.engines.node, '>=24');
    assert.ok(Number(process.versions.node.split('.')[0]) >= 24, `the suite runs on Node ${process.version}`);
  });

  it('names in the README every Debian package it installs', () => {
    const packages = [...read('scripts/test-tools.sh').matchAll(/^ {2}'([a-z0-9+.-]+)\|/gm)].map((m) => m[1]!);
    assert.ok(packages.includes('chromium') && packages.includes('postgresql'), packages.join(' '));
    const quickStart = read('README.md').split('## Quick start')[1]!.split('\n## ')[0]!;
    for (const p of packages) assert.ok(quickStart.includes(`\`${p}\``), `README quick start names ${p}`);
  });
});
