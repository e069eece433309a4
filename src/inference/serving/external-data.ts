/**
 * Where a model's tensors may read their data from (API.md §15, issue 16).
 * ONNX Runtime resolves an external data `location` against the model's
 * folder, or, for a model given as bytes (an upload), against the process's
 * working directory: an uploaded model naming `package.json` or the store's
 * SQLite file would serve that file's bytes as a tensor. So:
 *   - an upload must be one self-contained file: any external tensor refuses it;
 *   - a repository model may read external data only from files inside its
 *     own version folder, symlinks followed.
 * Checked once per load, before ONNX Runtime sees the file.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { externalTensors, type ExternalTensor } from './external-tensors.js';

export { MalformedOnnx } from './external-tensors.js';

/** Why a model's external data is refused: `reason` is safe to show callers; `log` may hold paths. */
export interface ExternalDataProblem {
  reason: string;
  log: Record<string, unknown>;
}

/** A tensor name as it may appear in a reason: quoted, and short even if the file's is not. */
function tensorName(tensor: ExternalTensor): string {
  if (tensor.name === '') return 'an unnamed tensor';
  const name = tensor.name.length > 100 ? `${tensor.name.slice(0, 100)}…` : tensor.name;
  return `tensor '${name}'`;
}

/** Problem with an uploaded file (its bytes); throws MalformedOnnx when they are not an ONNX model. */
export function uploadExternalDataProblem(bytes: Uint8Array): ExternalDataProblem | undefined {
  const tensor = externalTensors(bytes)[0];
  if (!tensor) return undefined;
  return {
    reason: `${tensorName(tensor)} keeps its data outside the file (external data); an upload must be one self-contained file`,
    log: { tensor: tensor.name, locations: tensor.locations },
  };
}

/** True when `path` is strictly inside `dir` (both absolute and normalised). */
const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

/** Why one `location` may not be read for a model in `versionDir`, or undefined when it may. */
async function locationProblem(versionDir: string, location: string | undefined): Promise<string | undefined> {
  const outside = 'names an external data file outside its version folder';
  if (location === undefined || location === '' || location.includes('\0')) return 'has an external data location that is not a file name';
  if (isAbsolute(location)) return outside;
  const lexical = resolve(versionDir, location);
  if (!inside(versionDir, lexical)) return outside;
  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    return 'names an external data file that does not exist';
  }
  // A symlink inside the folder may point anywhere: judge where it leads.
  if (!inside(await realpath(versionDir), real)) return outside;
  const isFile = await stat(real).then((s) => s.isFile(), () => false);
  if (!isFile) return 'names an external data location that is not a file';
  return undefined;
}

/** Problem with a repository model.onnx; throws MalformedOnnx when it is not an ONNX model. */
export async function repositoryExternalDataProblem(modelPath: string): Promise<ExternalDataProblem | undefined> {
  const tensors = externalTensors(await readFile(modelPath));
  const versionDir = resolve(dirname(modelPath));
  for (const tensor of tensors) {
    // A tensor with no location at all is refused too: nothing to vouch for.
    for (const location of tensor.locations.length > 0 ? tensor.locations : [undefined]) {
      const problem = await locationProblem(versionDir, location);
      if (problem) return { reason: `${tensorName(tensor)} ${problem}`, log: { tensor: tensor.name, location, versionDir } };
    }
  }
  return undefined;
}
