/**
 * Issue 16 point 1 (API.md §15 "External data"): an uploaded model must not
 * read the server's files, and a repository model reads external data only
 * from its own version folder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { externalWeightsModel, fileReadingModel, WEIGHTS, weightsFile, type Placement } from '../fixtures/external-data-models.js';
import { shippedConfig, tempRepository, type TempRepository } from '../helpers/repository.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

let repo: TempRepository;
let outside: string;
let dataDir: string;
let t: TestServer;
let irisBefore: unknown;

const iris = shippedConfig('iris');
const versionPath = (name: string, version: string, file = '') => join(repo.dir, name, version, file);

/** A model folder with iris's config and one version holding `model` and, optionally, `files`. */
function writeModel(name: string, version: string, model: Uint8Array, files: Record<string, Buffer> = {}): void {
  repo.write(name, iris, { [version]: model });
  for (const [file, bytes] of Object.entries(files)) writeFileSync(versionPath(name, version, file), bytes);
}

before(async () => {
  repo = tempRepository().copy('iris');
  outside = mkdtempSync(join(tmpdir(), 'onnx-serving-outside-'));
  writeFileSync(join(outside, 'secret.bin'), weightsFile());
  writeModel('ext-inside', '1', externalWeightsModel('weights.bin'), { 'weights.bin': weightsFile() });
  writeModel('ext-parent', '1', externalWeightsModel('../weights.bin'));
  writeFileSync(join(repo.dir, 'ext-parent', 'weights.bin'), weightsFile());
  writeModel('ext-absolute', '1', externalWeightsModel(join(outside, 'secret.bin')));
  writeModel('ext-symlink', '1', externalWeightsModel('weights.bin'));
  symlinkSync(join(outside, 'secret.bin'), versionPath('ext-symlink', '1', 'weights.bin'));
  // A DATA_DIR relative to the working directory, as the default ./data is: the attack's target.
  mkdirSync('data', { recursive: true });
  dataDir = mkdtempSync(join('data', 'external-data-test-'));
  t = await startServer({ env: { MODEL_REPOSITORY: repo.dir, DATA_DIR: dataDir, MODEL_POLL_INTERVAL_MS: '0' } });
  irisBefore = (await predictIris()).body.data;
});
after(async () => {
  await t.close();
  repo.remove();
  rmSync(outside, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const predictIris = () => t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris } });
const upload = (bytes: Uint8Array) =>
  t.call('PUT', '/api/v1/models/iris/versions/2', { raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
const detail = async (name: string, version = '1') => (await t.call('GET', `/api/v1/models/${name}/versions/${version}`)).body.data;

describe('PUT /api/v1/models/{name}/versions/{version}', () => {
  const cases: Array<[string, () => string, Placement]> = [
    ['package.json, in an initializer', () => 'package.json', 'initializer'],
    ["the store's SQLite file in DATA_DIR, in an initializer", () => join(dataDir, 'onnx-serving.sqlite'), 'initializer'],
    ['package.json, in a Constant node attribute', () => 'package.json', 'constant'],
    ["package.json, in an If branch's Constant", () => 'package.json', 'if-branch'],
    ["package.json, in a Loop body's Constant", () => 'package.json', 'loop-body'],
    ['a file beside the model (any external data)', () => 'model.onnx.data', 'initializer'],
  ];
  for (const [what, location, placement] of cases) {
    describe(`with a tensor whose data is external: ${what}`, () => {
      it("answers 422 VALIDATION_ERROR naming tensor 'B', stores nothing, and iris v1 keeps serving", async () => {
        const target = location();
        if (target !== 'model.onnx.data') assert.ok(existsSync(target), `the attack's target ${target} exists`);
        const listing = readdirSync(join(repo.dir, 'iris')).sort();
        const r = await upload(fileReadingModel(target, placement));
        expectError(r, 422, 'VALIDATION_ERROR');
        const why = "tensor 'B' keeps its data outside the file (external data); an upload must be one self-contained file";
        assert.equal(r.body.error.message, `The uploaded model was refused: ${why}`);
        assert.equal(r.body.error.details[0].message, why);
        assert.deepEqual(readdirSync(join(repo.dir, 'iris')).sort(), listing, 'nothing written under the repository');
        const model = (await t.call('GET', '/api/v1/models/iris')).body.data;
        assert.equal(model.version, '1');
        assert.deepEqual(model.versions, ['1']);
        const p = await predictIris();
        assert.equal(p.status, 200);
        assert.deepEqual({ ...p.body.data, id: undefined }, { ...(irisBefore as object), id: undefined });
      });
    });
  }

  it('never hands the refused file to ONNX Runtime (no load failure logged, only the refusal)', () => {
    const v2 = t.logs.filter((l) => l.model === 'iris' && l.version === '2');
    assert.ok(v2.some((l) => l.msg === 'external data refused'));
    assert.ok(!v2.some((l) => l.msg === 'ONNX Runtime could not load model.onnx' || l.msg === 'model version ready'));
  });
});

describe('a repository model with external data', () => {
  describe('in its own version folder', () => {
    it('serves, reading its weights from that file', async () => {
      assert.equal((await detail('ext-inside')).state, 'ready');
      const x = [1, 2, 3, 4];
      const r = await t.call('POST', '/api/v1/models/ext-inside/predict', {
        body: { features: { sepal_length: x[0], sepal_width: x[1], petal_length: x[2], petal_width: x[3] } },
      });
      assert.equal(r.status, 200, r.text);
      // features · W, exact in float32 for these values.
      const expected = [0, 1, 2].map((c) => x.reduce((sum, v, row) => sum + v * WEIGHTS[row]![c]!, 0));
      assert.deepEqual(Object.values(r.body.data.probabilities), expected);
    });
  });

  const escapes: Record<string, string> = {
    'ext-parent': 'with a location that leaves the folder (../weights.bin)',
    'ext-absolute': 'with an absolute location',
    'ext-symlink': 'through a symlink that points outside the folder',
  };
  for (const [name, what] of Object.entries(escapes)) {
    describe(what, () => {
      it("is failed with a reason naming tensor 'W' and no server path", async () => {
        const r = await t.call('GET', `/api/v1/models/${name}/versions/1`);
        assert.equal(r.body.data.state, 'failed');
        assert.equal(r.body.data.reason, "tensor 'W' names an external data file outside its version folder");
        assert.doesNotMatch(r.text, /\/tmp|\/work|secret/);
        expectError(await t.call('POST', `/api/v1/models/${name}/predict`, { body: { features: SAMPLES.iris } }), 503, 'MODEL_NOT_READY');
      });
    });
  }

  it('leaves the other models serving', async () => {
    assert.equal((await predictIris()).status, 200);
    assert.equal((await detail('ext-inside')).state, 'ready');
  });

  describe('when hot reload finds a new version whose symlink leads outside', () => {
    it('fails that version and the earlier one keeps serving', async () => {
      const staging = join(repo.dir, 'ext-inside', '.staging');
      mkdirSync(staging);
      writeFileSync(join(staging, 'model.onnx'), externalWeightsModel('weights.bin'));
      symlinkSync(join(outside, 'secret.bin'), join(staging, 'weights.bin'));
      renameSync(staging, versionPath('ext-inside', '2'));
      await t.service.watcher.poll();
      await t.service.watcher.poll();
      const v2 = await detail('ext-inside', '2');
      assert.equal(v2.state, 'failed');
      assert.equal(v2.reason, "tensor 'W' names an external data file outside its version folder");
      const r = await t.call('POST', '/api/v1/models/ext-inside/predict', { body: { features: SAMPLES.iris } });
      assert.equal(r.body.data.model_version, '1');
    });
  });
});
