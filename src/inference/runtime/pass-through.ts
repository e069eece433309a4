import type { ModelRunner } from './model-runner.js';

/** The parts of a runner that a wrapper passes through unchanged. */
export function passThrough(inner: ModelRunner): Pick<ModelRunner, 'executionProvider' | 'inputs' | 'outputs'> {
  return { executionProvider: inner.executionProvider, inputs: inner.inputs, outputs: inner.outputs };
}
