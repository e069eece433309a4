/**
 * The benchmark's gRPC load generator (autocannon speaks HTTP/1 only): a
 * @grpc/grpc-js client of inference.GRPCInferenceService with `connections`
 * calls in flight at all times over one channel, as Triton's and KServe's
 * clients use it, for a warm-up and then the measured run. Prints one JSON
 * line in load.mjs's shape.
 *
 *   node scripts/bench/grpc-load.mjs '<json options>'
 *   options: { address, connections, seconds, warmupSeconds, tensorsFile, rows, model, token }
 *   tensorsFile: a JSON array of base64 little-endian float32 tensors of `rows` rows.
 */
import { readFileSync } from 'node:fs';
import { credentials, loadPackageDefinition, Metadata } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const opts = JSON.parse(process.argv[2]);
const proto = new URL('../../proto/grpc_predict_v2.proto', import.meta.url).pathname;
const pkg = loadPackageDefinition(loadSync(proto, { keepCase: true, longs: Number, defaults: true, oneofs: true }));
const client = new pkg.inference.GRPCInferenceService(opts.address, credentials.createInsecure(), {
  'grpc.max_send_message_length': 64 << 20, 'grpc.max_receive_message_length': 64 << 20,
});
const md = new Metadata();
md.set('authorization', `Bearer ${opts.token}`);
const tensors = JSON.parse(readFileSync(opts.tensorsFile, 'utf8')).map((b) => Buffer.from(b, 'base64'));
const width = tensors[0].length / 4 / opts.rows;
const requests = tensors.map((raw) => ({
  model_name: opts.model,
  inputs: [{ name: 'features', datatype: 'FP32', shape: [opts.rows, width] }],
  raw_input_contents: [raw],
}));

/** Keeps `connections` calls in flight for `seconds`; resolves counts and sorted latencies (ms). */
function run(seconds) {
  const latencies = [];
  let ok = 0;
  let errors = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const loop = () => new Promise((resolve) => {
    const one = () => {
      if (performance.now() >= end) return resolve();
      const t0 = performance.now();
      client.ModelInfer(requests[next++ % requests.length], md, (err) => {
        if (err) errors++;
        else {
          ok++;
          latencies.push(performance.now() - t0);
        }
        one();
      });
    };
    one();
  });
  return Promise.all(Array.from({ length: opts.connections }, loop)).then(() => ({
    ok, errors, seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b),
  }));
}

const pct = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]);

if (opts.warmupSeconds > 0) await run(opts.warmupSeconds);
const r = await run(opts.seconds);
client.close();
process.stdout.write(JSON.stringify({
  requests: r.ok + r.errors, ok: r.ok, non2xx: 0, errors: r.errors, timeouts: 0, statusCodes: {},
  rps: r.ok / r.seconds, rowsPerSec: (r.ok * opts.rows) / r.seconds,
  p50: pct(r.latencies, 50), p99: pct(r.latencies, 99), seconds: r.seconds,
}) + '\n');
