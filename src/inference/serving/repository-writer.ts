/**
 * Writing the model repository (management): every write is atomic, so that
 * a reader (a restart, hot reload on this or another replica) sees the old
 * file or the new one, never half of one. Temporary names start with a dot:
 * the repository scanner ignores them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ModelConfig } from './model-config.js';

const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);

/** Writes `bytes` to `path` through a temporary file in the same directory and a rename. */
async function replaceFile(path: string, dir: string, bytes: Uint8Array | string): Promise<void> {
  const temp = join(dir, `.tmp-${randomUUID()}`);
  try {
    await writeFile(temp, bytes, { flush: true });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Stores an uploaded model.onnx as `<modelDir>/<version>/model.onnx`. A new
 * version directory appears whole (written aside, then renamed), so hot
 * reload never sees it without its model.onnx. Returns the file's path.
 */
export async function writeVersion(modelDir: string, version: string, bytes: Uint8Array): Promise<string> {
  const versionDir = join(modelDir, version);
  const target = join(versionDir, 'model.onnx');
  if (!(await isDir(versionDir))) {
    // A new model's folder (API.md §14 Management): hot reload waits for the model's lock, held by the upload.
    await mkdir(modelDir, { recursive: true });
    const staging = join(modelDir, `.upload-${version}-${randomUUID()}`);
    try {
      await mkdir(staging);
      await writeFile(join(staging, 'model.onnx'), bytes, { flush: true });
      await rename(staging, versionDir);
      return target;
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      // Someone created the directory meanwhile: replace the file in it instead.
      if (!(await isDir(versionDir))) throw err;
    }
  }
  await replaceFile(target, versionDir, bytes);
  return target;
}

/** Rewrites `<modelDir>/model.json`. */
export async function writeModelConfig(modelDir: string, config: ModelConfig): Promise<void> {
  await replaceFile(join(modelDir, 'model.json'), modelDir, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Identity, size and modification time of a file ('missing' when absent):
 * hot reload tells a changed file from a known one by it. The inode matters
 * on shared volumes whose mtime is coarse (a second or two): every write
 * here ends in a rename, which gives the file a new inode even when its size
 * and mtime look the same as before.
 */
export async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * Deletes a version or model directory: renamed aside first (a dot name the
 * scanner ignores), then removed. The rename is atomic, so another replica's
 * hot reload sees the directory whole or gone, never a model without its
 * model.json or a version without its model.onnx half-way through.
 */
export async function removeDirectory(path: string): Promise<void> {
  const aside = join(dirname(path), `.deleted-${basename(path)}-${randomUUID()}`);
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await rm(aside, { recursive: true, force: true });
}
