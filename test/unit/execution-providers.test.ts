import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExecutionProvider } from '../../src/config.js';
import { StartupError } from '../../src/errors.js';
import { ProviderSelector } from '../../src/inference/runtime/execution-providers.js';

/** A session factory on a machine where CUDA is (or is not) installed; records what was tried. */
function machine(cuda: boolean, modelOk = true) {
  const tried: ExecutionProvider[][] = [];
  const createOn = async (providers: ExecutionProvider[]) => {
    tried.push(providers);
    if (providers.includes('cuda') && !cuda) throw new Error('Failed to load shared library');
    if (!modelOk) throw new Error('protobuf parsing failed');
    return { providers, release: async () => undefined };
  };
  return { tried, createOn };
}

describe('ProviderSelector', () => {
  it('uses only the CPU provider by default', async () => {
    const m = machine(true);
    const { provider } = await new ProviderSelector(['cpu']).create(m.createOn);
    assert.equal(provider, 'cpu');
    assert.deepEqual(m.tried, [['cpu']]);
  });
  it('uses CUDA when it is asked for and works', async () => {
    const m = machine(true);
    assert.equal((await new ProviderSelector(['cuda']).create(m.createOn)).provider, 'cuda');
  });
  it('with cuda,cpu falls back to CPU where CUDA is missing, and probes CUDA only once', async () => {
    const m = machine(false);
    const selector = new ProviderSelector(['cuda', 'cpu']);
    assert.equal((await selector.create(m.createOn)).provider, 'cpu');
    assert.equal((await selector.create(m.createOn)).provider, 'cpu');
    assert.deepEqual(m.tried, [['cuda'], ['cpu'], ['cpu']]);
    assert.equal(selector.preferred, 'cpu');
  });
  it('with cuda alone where CUDA is missing, stops the start naming ORT_EXECUTION_PROVIDERS', async () => {
    const m = machine(false);
    await assert.rejects(new ProviderSelector(['cuda']).create(m.createOn), (err: unknown) => {
      assert.ok(err instanceof StartupError);
      assert.match(err.message, /ORT_EXECUTION_PROVIDERS/);
      return true;
    });
  });
  it('blames a corrupt model, not CUDA, when the model fails on CPU too', async () => {
    const m = machine(false, false);
    const selector = new ProviderSelector(['cuda']);
    await assert.rejects(selector.create(m.createOn), (err: unknown) => !(err instanceof StartupError));
    assert.equal(selector.preferred, 'cuda');
  });
});
