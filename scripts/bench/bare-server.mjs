/**
 * Ceiling 1 of the benchmark: bare node:http answering a constant JSON
 * envelope to every POST after reading its body (no parsing, no routing).
 * Nothing a real service could be faster than.
 *
 *   node scripts/bench/bare-server.mjs <port>
 */
import { createServer } from 'node:http';

const BODY = JSON.stringify({
  status: 'success',
  data: { id: 'pred_00000000-0000-0000-0000-000000000000', model: 'loan-approval', model_version: '2',
    prediction: 'approved', probability: 0.78, probabilities: { denied: 0.22, approved: 0.78 }, confidence: 'medium' },
  meta: { request_id: 'req_00000000-0000-0000-0000-000000000000', timestamp: '2026-01-01T00:00:00.000Z',
    response_time_ms: 0.1, model: 'loan-approval', model_version: '2' },
});
const LENGTH = String(Buffer.byteLength(BODY));

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': LENGTH });
    res.end(BODY);
  });
});
server.listen(Number(process.argv[2] ?? 8090), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
