/**
 * There is no Docker engine here: this checks the Dockerfile against the
 * repository instead — every path it copies exists and is not ignored, its
 * commands are the project's (npm ci, npm run build, the start command), and
 * the runtime image is what the contract asks for.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/process.js';

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** The Dockerfile's instructions (comments dropped, continuation lines joined), with their stage index. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword!.toUpperCase() === 'FROM') stage++;
    out.push({ keyword: keyword!.toUpperCase(), args: args!.replace(/\s+/g, ' '), stage });
  }
  return out;
}

const dockerfile = instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const lastStage = Math.max(...dockerfile.map((i) => i.stage));
const of = (keyword: string, stage?: number) =>
  dockerfile.filter((i) => i.keyword === keyword && (stage === undefined || i.stage === stage));

/** COPY's sources and destination, flags set apart. */
function copyParts(args: string): { flags: string[]; sources: string[]; dest: string } {
  const words = args.split(' ');
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  return { flags, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage', () => {
    assert.ok(lastStage >= 1);
    assert.match(of('FROM', 0)[0]!.args, / AS build$/);
  });

  it('copies from the build context only paths that exist and .dockerignore keeps', () => {
    const copies = of('COPY').filter((i) => !i.args.includes('--from='));
    assert.ok(copies.length > 0);
    for (const copy of copies) {
      for (const source of copyParts(copy.args).sources) {
        assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: no such path`);
        const path = source.replace(/^\.\//, '');
        const top = path.split('/')[0]!;
        const kept = ignored.includes(`!${path}`);
        assert.ok(kept || !ignored.includes(top), `COPY ${source}: excluded by .dockerignore`);
      }
    }
  });

  it('installs with npm ci, the CUDA download skipped unless asked for', () => {
    const runs = of('RUN', 0).map((i) => i.args);
    assert.ok(runs.includes('npm ci'), runs.join(' | '));
    assert.ok(of('ARG', 0).some((i) => i.args === 'ONNXRUNTIME_NODE_INSTALL=skip'));
    assert.ok(of('ENV', 0).some((i) => i.args === 'ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL}'));
    const npmci = dockerfile.findIndex((i) => i.args === 'npm ci');
    const lockCopy = dockerfile.findIndex((i) => i.keyword === 'COPY' && i.args.includes('package-lock.json'));
    assert.ok(lockCopy >= 0 && lockCopy < npmci, 'package-lock.json is copied before npm ci');
    // npm ci runs the root postinstall, which must be in the image by then.
    const postinstall = /^node (\S+)$/.exec(pkg.scripts.postinstall ?? '')?.[1];
    assert.ok(postinstall, 'package.json has a postinstall script run by node');
    const scriptCopy = dockerfile.findIndex((i) => i.keyword === 'COPY' && copyParts(i.args).sources.includes(postinstall));
    assert.ok(scriptCopy >= 0 && scriptCopy < npmci, `${postinstall} is copied before npm ci`);
  });

  it('builds with the package build script and prunes dev dependencies', () => {
    assert.ok(pkg.scripts.build);
    assert.ok(of('RUN', 0).some((i) => i.args === 'npm run build && npm prune --omit=dev'));
  });

  it('puts only runtime files in the final image', () => {
    const dests = of('COPY', lastStage).map((i) => copyParts(i.args).dest.replace(/^\.\//, ''));
    const appFiles = dests.filter((d) => !d.startsWith('/usr/local/bin'));
    assert.deepEqual(appFiles.sort(), ['dist', 'models', 'node_modules', 'package.json', 'proto', 'schemas']);
    assert.ok(of('COPY', lastStage).every((i) => !/\b(src|test|scripts)\b/.test(copyParts(i.args).sources.join(' '))));
  });

  it('runs as a non-root numeric user', () => {
    const user = of('USER', lastStage).at(-1)!.args;
    assert.match(user, /^[1-9][0-9]*(:[1-9][0-9]*)?$/);
  });

  it('runs node directly with the start command of package.json', () => {
    const cmd = JSON.parse(of('CMD', lastStage).at(-1)!.args) as string[];
    assert.deepEqual(cmd, pkg.scripts.start!.replace(/^exec /, '').split(' '));
    assert.equal(cmd[0], 'node');
  });

  it('checks health on /api/v1/health with node', () => {
    const check = of('HEALTHCHECK', lastStage).at(-1)!.args;
    assert.match(check, /CMD \["node", "-e", .*\/api\/v1\/health'/);
  });

  it('sets MODEL_REPOSITORY as an overridable environment variable and production mode', () => {
    const env = of('ENV', lastStage).map((i) => i.args).join(' ');
    assert.match(env, /MODEL_REPOSITORY=\/app\/models/);
    assert.match(env, /NODE_ENV=production/);
  });

  it('builds and runs on the Node LTS that package.json engines asks for (24)', () => {
    const engines = /^>=(\d+)$/.exec((pkg as { engines?: { node?: string } }).engines?.node ?? '')?.[1];
    assert.equal(engines, '24');
    for (const name of ['NODE_IMAGE', 'RUNTIME_IMAGE']) {
      const arg = of('ARG').find((i) => i.args.startsWith(`${name}=`))?.args;
      assert.match(arg ?? '', new RegExp(`^${name}=node:${engines}-[a-z]+-slim$`), `${name} is a slim node:${engines} image`);
    }
    assert.equal(of('FROM', 0)[0]!.args, '${NODE_IMAGE} AS build');
  });

  it('takes the CUDA runtime base as a build argument', () => {
    assert.ok(of('ARG').some((i) => i.args.startsWith('RUNTIME_IMAGE=')));
    assert.equal(of('FROM', lastStage)[0]!.args, '${RUNTIME_IMAGE} AS runtime');
  });

  it('is built and run the way docs/operations.md says', () => {
    const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    assert.match(docs, /docker build -t onnx-serving \./);
    assert.match(docs, /--build-arg ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.match(docs, /--build-arg RUNTIME_IMAGE=nvidia\/cuda:/);
    for (const readme of ['README.md', 'docs/operations.md'].filter((f) => existsSync(join(ROOT, f)))) {
      const text = readFileSync(join(ROOT, readme), 'utf8');
      assert.match(text, /npm ci/, `${readme} installs with npm ci`);
      assert.match(text, /npm start/, `${readme} starts with npm start`);
    }
  });
});
