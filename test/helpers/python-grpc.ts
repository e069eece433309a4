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
const REST_BINARY = fileURLToPath(new URL('../fixtures/oip_rest_binary.py', import.meta.url));

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

/** A tensor of any datatype for the Python clients; 64-bit integers as bigints (sent as exact JSON digits). */
export interface PythonTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: Array<number | bigint | boolean | string>;
}

export interface PythonCall {
  address: string;
  token?: string;
  model: string;
  version?: string;
  shape?: [number, number];
  /** The rows as little-endian float32 (the one FP32 input of a shipped model). */
  rows?: Float32Array;
  /** Or tensors of any datatype (API.md §14), encoded by the client itself. */
  tensors?: PythonTensor[];
  typed?: boolean;
}

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
/** JSON with bigints as their exact digits (Python's json reads them as exact ints). */
const exactJson = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? rawJSON(v.toString()) : v));

/** Runs a Python script once with a JSON request on stdin (asynchronously: the server may share this process). */
function runPython(args: string[], request: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = execFile(SYSTEM_PYTHON, args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`python client failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout));
    });
    child.stdin!.end(exactJson(request));
  });
}

/** Runs the Python gRPC client once; resolves its JSON answer. */
export function pythonClient(stubs: string, call: PythonCall): Promise<any> {
  const { rows, ...rest } = call;
  const raw = rows ? Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).toString('hex') : '';
  return runPython([CLIENT, stubs], { ...rest, raw });
}

/** Sends tensors through the REST binary extension from Python's urllib, layout written by hand; resolves its JSON answer. */
export function pythonRestBinary(call: { url: string; token: string; inputs: PythonTensor[] }): Promise<any> {
  return runPython([REST_BINARY], call);
}

/** Why /usr/bin/python3 cannot run the urllib client (it needs nothing beyond the standard library). */
export function pythonMissing(): string | undefined {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import urllib.request, struct']).status === 0 ? undefined : `${SYSTEM_PYTHON} is not installed`;
}
