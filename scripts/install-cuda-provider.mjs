// Root `postinstall`: onnxruntime-node's own install script is denied in
// package.json `allowScripts`, because on linux/x64 it downloads the CUDA 12
// provider from NuGet on every install (the CPU binaries ship in the npm
// package). A GPU deployment asks for the download at install time:
//
//   ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci
//
// and this script then runs onnxruntime-node's installer, which reads the same
// variable. Unset or `skip`: nothing is downloaded. Plain Node, no dependencies:
// it runs before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const flag = process.env.ONNXRUNTIME_NODE_INSTALL?.trim();
if (!flag || flag === 'skip') process.exit(0);

const require = createRequire(import.meta.url);
let installer;
try {
  installer = join(dirname(require.resolve('onnxruntime-node/package.json')), 'script', 'install.js');
} catch {
  installer = undefined;
}
if (!installer || !existsSync(installer)) {
  console.error('ONNXRUNTIME_NODE_INSTALL is set but onnxruntime-node is not installed');
  process.exit(1);
}
console.log(`onnxruntime-node: installing the ${flag} execution provider binaries`);
const run = spawnSync(process.execPath, [installer], { stdio: 'inherit', env: process.env });
process.exit(run.status ?? 1);
