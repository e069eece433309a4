/** A scratch copy of the shipped model repository, for tests that change it. */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODELS_DIR } from './server.js';

export interface ScratchRepository {
  dir: string;
  /** A path inside the copy. */
  path(...parts: string[]): string;
  remove(): void;
}

/** Copies models/ to a new temporary directory. */
export function copyModels(): ScratchRepository {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-serving-models-'));
  cpSync(MODELS_DIR, dir, { recursive: true });
  return {
    dir,
    path: (...parts) => join(dir, ...parts),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The bytes of a shipped model version. */
export const shippedModel = (name: string, version: string): Buffer =>
  readFileSync(join(MODELS_DIR, name, version, 'model.onnx'));
