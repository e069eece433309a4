/**
 * The independent gRPC client of the OIP suites: Debian's python3-grpcio
 * (/usr/bin/python3; the python3 on PATH may lack grpc) with stubs that
 * protoc and grpc_python_plugin generate from proto/grpc_predict_v2.proto
 * into a temp dir. .ci/run installs all three.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTO_FILE } from '../../src/grpc/proto.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';
const CLIENT = fileURLToPath(new URL('../fixtures/oip_grpc_client.py', import.meta.url));

/** Why the Python client cannot run here, or undefined when it can. */
export function pythonGrpcMissing(): string | undefined {
  const py = spawnSync(SYSTEM_PYTHON, ['-c', 'import grpc, google.protobuf']);
  if (py.status !== 0) return `${SYSTEM_PYTHON} cannot import grpc (install python3-grpcio; .ci/run does)`;
  for (const tool of ['protoc', 'grpc_python_plugin']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (.ci/run installs it)`;
  }
  return undefined;
}

/** Generates the stubs into a fresh temp dir; returns it and its remover. */
export function generateStubs(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'oip-stubs-'));
  const plugin = execFileSync('sh', ['-c', 'command -v grpc_python_plugin'], { encoding: 'utf8' }).trim();
  execFileSync('protoc', [
    `-I${dirname(PROTO_FILE)}`, `--python_out=${dir}`, `--grpc_python_out=${dir}`,
    `--plugin=protoc-gen-grpc_python=${plugin}`, PROTO_FILE,
  ]);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface PythonCall {
  address: string;
  token?: string;
  model: string;
  version?: string;
  shape: [number, number];
  /** The rows as little-endian float32. */
  rows: Float32Array;
  typed?: boolean;
}

/** Runs the Python client once (asynchronously: the server may share this process); resolves its JSON answer. */
export function pythonClient(stubs: string, call: PythonCall): Promise<any> {
  const { rows, ...rest } = call;
  const input = JSON.stringify({ ...rest, raw: Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).toString('hex') });
  return new Promise((resolve, reject) => {
    const child = execFile(SYSTEM_PYTHON, [CLIENT, stubs], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`python client failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout));
    });
    child.stdin!.end(input);
  });
}
