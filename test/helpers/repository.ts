/** Scratch model repositories for tests that change them or need broken models. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

export interface TempRepository {
  dir: string;
  /** Copies a shipped model (all its versions) under `as`. */
  copy(name: string, as?: string): TempRepository;
  /** Writes a model whose config or file is broken. */
  write(name: string, config: unknown, versions: Record<string, Uint8Array | string | null>): TempRepository;
  remove(): void;
}

export function tempRepository(): TempRepository {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-serving-repo-'));
  const repo: TempRepository = {
    dir,
    copy(name, as = name) {
      cpSync(join(MODELS_DIR, name), join(dir, as), { recursive: true });
      return repo;
    },
    write(name, config, versions) {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'model.json'), typeof config === 'string' ? config : JSON.stringify(config));
      for (const [version, bytes] of Object.entries(versions)) {
        mkdirSync(join(dir, name, version), { recursive: true });
        if (bytes !== null) writeFileSync(join(dir, name, version, 'model.onnx'), bytes);
      }
      return repo;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return repo;
}

/** A shipped model's config, parsed. */
export const shippedConfig = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(join(MODELS_DIR, name, 'model.json'), 'utf8'));

/** A shipped model version's ONNX bytes. */
export const shippedOnnx = shippedModel;
