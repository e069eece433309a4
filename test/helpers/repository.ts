/** Temporary model repositories built from the shipped models, for failure cases. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODELS_DIR } from './server.js';

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
export const shippedOnnx = (name: string, version: string): Buffer =>
  readFileSync(join(MODELS_DIR, name, version, 'model.onnx'));
