/**
 * Trains and verifies every shipped model (npm run train).
 * Each script is deterministic: re-running rewrites byte-identical files under models/.
 */
import { main as trainLoanApproval } from './train-loan-approval.js';
import { main as trainIris } from './train-iris.js';
import { main as trainHousePrice } from './train-house-price.js';
import { repoPath, sha256 } from './lib/common.js';

await trainLoanApproval();
console.log();
await trainIris();
console.log();
await trainHousePrice();
console.log();
console.log('sha256 of the shipped models:');
for (const p of ['loan-approval/1', 'loan-approval/2', 'iris/1', 'house-price/1']) {
  console.log(`  ${sha256(repoPath('models', p, 'model.onnx'))}  models/${p}/model.onnx`);
}
