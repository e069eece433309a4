/**
 * The model repository on disk (API.md §11):
 *   <root>/<name>/model.json          the model's config
 *   <root>/<name>/<version>/model.onnx one directory per version (a positive integer)
 * Reading only; what is loaded is the registry's business.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkModelConfig, type ModelConfig } from './model-config.js';

export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MODEL_VERSION = /^[1-9][0-9]{0,8}$/;

export interface VersionSource {
  version: string;
  /** Path of model.onnx (which may be missing: the version then fails to load). */
  modelPath: string;
}

export interface ModelSource {
  name: string;
  dir: string;
  config?: ModelConfig;
  /** Why model.json could not be used, when it could not. */
  configError?: string;
  versions: VersionSource[];
}

const isDir = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** The configError of a model directory without model.json. */
export const MODEL_JSON_MISSING = 'model.json is missing';

/** Numeric order of version strings. */
export const byVersion = (a: string, b: string) => Number(a) - Number(b);

/** Reads and checks one model's model.json. */
export function readModelConfig(dir: string): { config?: ModelConfig; error?: string } {
  const path = join(dir, 'model.json');
  if (!existsSync(path)) return { error: MODEL_JSON_MISSING };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return { error: 'model.json is not valid JSON' };
  }
  const problems = checkModelConfig(value);
  if (problems.length > 0) return { error: `model.json is invalid: ${problems.join('; ')}` };
  return { config: value as ModelConfig };
}

/** The versions found under one model's directory, in numeric order. */
export function scanVersions(dir: string): VersionSource[] {
  return readdirSync(dir)
    .filter((entry) => MODEL_VERSION.test(entry) && isDir(join(dir, entry)))
    .sort(byVersion)
    .map((version) => ({ version, modelPath: join(dir, version, 'model.onnx') }));
}

/** One model directory, read. */
export function scanModel(root: string, name: string): ModelSource {
  const dir = join(root, name);
  const { config, error } = readModelConfig(dir);
  return { name, dir, config, configError: error, versions: scanVersions(dir) };
}

/** Every model directory under `root` (directories whose names are valid model names). */
export function scanRepository(root: string): ModelSource[] {
  if (!isDir(root)) throw new Error(`MODEL_REPOSITORY ${root} is not a directory`);
  return readdirSync(root)
    .filter((name) => MODEL_NAME.test(name) && isDir(join(root, name)))
    .sort()
    .map((name) => scanModel(root, name));
}
