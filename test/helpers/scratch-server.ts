/**
 * A test server on a scratch copy of the model repository, with hot reload
 * polled by hand (MODEL_POLL_INTERVAL_MS=0) and every registry change
 * recorded. Registers its own before/after hooks.
 */
import { after, before } from 'node:test';
import type { ModelChange } from '../../src/inference/serving/model-changes.js';
import { copyModels, type ScratchRepository } from './repository.js';
import { startServer, type TestServer } from './server.js';

export interface Scratch {
  repo: ScratchRepository;
  t: TestServer;
  changes: ModelChange[];
}

export function scratchServer(): Scratch {
  const s = { changes: [] } as unknown as Scratch;
  before(async () => {
    s.repo = copyModels();
    s.t = await startServer({ env: { MODEL_REPOSITORY: s.repo.dir, MODEL_POLL_INTERVAL_MS: '0' } });
    s.t.service.registry.onChange((c) => s.changes.push(c));
  });
  after(async () => {
    await s.t.close();
    s.repo.remove();
  });
  return s;
}
