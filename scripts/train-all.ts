/**
 * Trains and verifies every shipped model (npm run train).
 * Each script is deterministic: re-running rewrites byte-identical files under models/.
 */
import { main as trainLoanApproval } from './train-loan-approval.js';
import { main as trainIris } from './train-iris.js';
import { main as trainHousePrice } from './train-house-price.js';
import { main as trainCustomerChurn } from './train-customer-churn.js';
import { repoPath, sha256 } from './lib/common.js';

await trainLoanApproval();
console.log();
await trainIris();
console.log();
await trainHousePrice();
console.log();
// Issue 17: per-column string inputs, no model.json; writes models/customer-churn/, which only a
// runtime that derives configurations from the graph serves (API.md §14).
await trainCustomerChurn();
console.log();
console.log('sha256 of the shipped models:');
for (const p of ['loan-approval/1', 'loan-approval/2', 'iris/1', 'house-price/1', 'customer-churn/1']) {
  console.log(`  ${sha256(repoPath('models', p, 'model.onnx'))}  models/${p}/model.onnx`);
}
