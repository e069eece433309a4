import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repositoryExternalDataProblem, uploadExternalDataProblem } from '../../src/inference/serving/external-data.js';
import { externalWeightsModel, fileReadingModel } from '../fixtures/external-data-models.js';
import { shippedModel } from '../helpers/repository.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'onnx-serving-external-'));
  mkdirSync(join(root, 'model', '1', 'parts'), { recursive: true });
  mkdirSync(join(root, 'outside'));
  writeFileSync(join(root, 'model', '1', 'weights.bin'), 'w');
  writeFileSync(join(root, 'model', '1', '..dots.bin'), 'w');
  writeFileSync(join(root, 'model', '1', 'parts', 'weights.bin'), 'w');
  writeFileSync(join(root, 'model', 'beside.bin'), 'w');
  writeFileSync(join(root, 'outside', 'secret.bin'), 's');
  symlinkSync(join(root, 'outside', 'secret.bin'), join(root, 'model', '1', 'link-out.bin'));
  symlinkSync(join(root, 'outside'), join(root, 'model', '1', 'dir-out'));
  symlinkSync('weights.bin', join(root, 'model', '1', 'link-in.bin'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** The reason a repository version whose tensor W reads `location` gets (undefined: allowed). */
async function reasonFor(location: string): Promise<string | undefined> {
  const path = join(root, 'model', '1', 'model.onnx');
  writeFileSync(path, externalWeightsModel(location));
  return (await repositoryExternalDataProblem(path))?.reason;
}

describe('uploadExternalDataProblem', () => {
  it('accepts a self-contained file', () => {
    assert.equal(uploadExternalDataProblem(shippedModel('iris', '1')), undefined);
  });

  it('refuses any external tensor, naming it', () => {
    assert.equal(
      uploadExternalDataProblem(fileReadingModel('weights.bin'))?.reason,
      "tensor 'B' keeps its data outside the file (external data); an upload must be one self-contained file",
    );
  });
});

describe('repositoryExternalDataProblem', () => {
  for (const location of ['weights.bin', 'parts/weights.bin', './parts/../weights.bin', 'link-in.bin', '..dots.bin']) {
    it(`allows ${location} (inside the version folder)`, async () => {
      assert.equal(await reasonFor(location), undefined);
    });
  }

  const outside = "tensor 'W' names an external data file outside its version folder";
  const refused: Record<string, string> = {
    '../beside.bin': outside,
    '../../outside/secret.bin': outside,
    'link-out.bin': outside,
    'dir-out/secret.bin': outside,
    '': "tensor 'W' has an external data location that is not a file name",
    'missing.bin': "tensor 'W' names an external data file that does not exist",
    parts: "tensor 'W' names an external data location that is not a file",
    '*/_ORT_MEM_ADDR_/*': "tensor 'W' names an external data file that does not exist",
  };
  for (const [location, reason] of Object.entries(refused)) {
    it(`refuses '${location}': ${reason}`, async () => {
      assert.equal(await reasonFor(location), reason);
    });
  }

  it('refuses an absolute location, even one inside the folder, without the path in the reason', async () => {
    const problem = await (async () => {
      const path = join(root, 'model', '1', 'model.onnx');
      writeFileSync(path, externalWeightsModel(join(root, 'model', '1', 'weights.bin')));
      return repositoryExternalDataProblem(path);
    })();
    assert.equal(problem?.reason, outside);
    assert.ok(!problem.reason.includes(root));
    assert.equal(problem.log.location, join(root, 'model', '1', 'weights.bin'));
  });
});
