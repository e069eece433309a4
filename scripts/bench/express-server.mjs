/**
 * Ceiling 2 of the benchmark: Express 5 with express.json() answering a
 * constant JSON envelope on the service's two predict routes: what Express
 * itself costs, with the body parsed, before any validation, auth or logging.
 *
 *   node scripts/bench/express-server.mjs <port>
 */
import express from 'express';

const BODY = {
  status: 'success',
  data: { id: 'pred_00000000-0000-0000-0000-000000000000', model: 'loan-approval', model_version: '2',
    prediction: 'approved', probability: 0.78, probabilities: { denied: 0.22, approved: 0.78 }, confidence: 'medium' },
  meta: { request_id: 'req_00000000-0000-0000-0000-000000000000', timestamp: '2026-01-01T00:00:00.000Z',
    response_time_ms: 0.1, model: 'loan-approval', model_version: '2' },
};

const app = express();
// A 1000-row batch is ~100 kB, over express.json()'s default 100 kB limit.
app.use(express.json({ limit: '32mb' }));
app.post('/api/v1/predict', (_req, res) => res.json(BODY));
app.post('/api/v1/predict/batch', (_req, res) => res.json(BODY));
app.listen(Number(process.argv[2] ?? 8091), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
