/**
 * The benchmark's load generator, run by bench.ts as a child process pinned
 * to its own core: autocannon (programmatic API) with a warm-up, then the
 * measured run. Latencies are recorded from every response with sub-
 * millisecond resolution (autocannon's own histogram counts whole ms).
 * Prints one JSON line.
 *
 *   node scripts/bench/load.mjs '<json options>'
 *   options: { url, connections, seconds, warmupSeconds, bodiesFile, headers, rowsPerRequest, distinct, binary }
 *   bodiesFile: a JSON array of request bodies (strings). distinct: true sends
 *   them round-robin across all connections (every request a different body,
 *   so a prediction cache cannot answer); false gives each connection the
 *   same fixed cycle (cheaper for large batch bodies). binary: the bodies are
 *   base64 (OIP binary tensors), sent as bytes with `headers` as given.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2]);
const bodies = JSON.parse(readFileSync(opts.bodiesFile, 'utf8')).map((b) => (opts.binary ? Buffer.from(b, 'base64') : b));
const { pathname } = new URL(opts.url);
const headers = opts.binary ? { ...opts.headers } : { 'content-type': 'application/json', ...opts.headers };

function requests() {
  if (!opts.distinct) return bodies.map((body) => ({ method: 'POST', path: pathname, headers, body }));
  let next = 0;
  return [{
    method: 'POST', path: pathname, headers,
    setupRequest(req) {
      req.body = bodies[next++ % bodies.length];
      return req;
    },
  }];
}

/** One autocannon run; resolves with its result and every 2xx latency in ms. */
function run(seconds) {
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: opts.url, connections: opts.connections, duration: seconds, pipelining: 1,
      timeout: 30, requests: requests(),
    }, (err, result) => (err ? reject(err) : resolve({ result, latencies: latencies.subarray(0, n).sort() })));
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status < 200 || status >= 300) return;
      if (n === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[n++] = ms;
    });
  });
}

const pct = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]);

if (opts.warmupSeconds > 0) await run(opts.warmupSeconds);
const { result, latencies } = await run(opts.seconds);
const ok = result['2xx'];
const elapsed = result.duration; // seconds, as autocannon measured it
process.stdout.write(JSON.stringify({
  requests: result.requests.total,
  ok,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  statusCodes: result.statusCodeStats,
  rps: ok / elapsed,
  rowsPerSec: (ok * (opts.rowsPerRequest ?? 1)) / elapsed,
  p50: pct(latencies, 50),
  p99: pct(latencies, 99),
  seconds: elapsed,
}) + '\n');
