/**
 * Logs, gRPC statuses and encodings on /v2 (API.md §15, issue 16 point 5):
 * a credential in the query string never reaches any log line, the
 * "unexpected error" line included; a gRPC call's log line carries the status
 * its client received, also when the call ended while its answer was on the
 * way (deadline passed, client cancelled); /v2 takes gzip, deflate or no
 * Content-Encoding, and answers anything else 415 {"error"}.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { credentials, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { listenGrpc, type GrpcListener } from '../../src/grpc/grpc-server.js';
import { inferenceService } from '../../src/grpc/proto.js';
import { grpcBeside } from '../helpers/grpc.js';
import { expectOipError, fp32Input, heavyBody, heavyRepository } from '../helpers/oip.js';
import { SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

const SECRET = 'secret-Qv7f3kP2';

describe('a request with ?access_token=… that fails unexpectedly', () => {
  let t: TestServer;
  before(async () => {
    // A guard that throws something that is not an AppError: the masked 500 path.
    t = await startServer({ service: { guard: () => function exploding() { throw new Error('guard exploded'); } } });
  });
  after(() => t.close());

  for (const path of [`/api/v1/models?access_token=${SECRET}`, `/v2/models/iris?Access_Token=${SECRET}&x=1`, `/api/v1/models?apikey=${SECRET}`]) {
    it(`answers 500 and keeps the value out of every log line (${path.split('?')[0]})`, async () => {
      const before = t.logs.length;
      const r = await t.call('GET', path);
      assert.equal(r.status, 500);
      const lines = t.logs.slice(before);
      const unexpected = lines.find((l) => l.msg === 'unexpected error');
      assert.ok(unexpected, 'the unexpected error is logged');
      assert.match(String(unexpected.url), /=\[redacted\]/);
      for (const line of lines) assert.doesNotMatch(JSON.stringify(line), new RegExp(SECRET));
    });
  }
});

describe('a gRPC call that ends while its answer is on the way', () => {
  const heavy = heavyRepository();
  let t: TestServer;
  let grpc: GrpcListener;
  let client: Client & Record<string, Function>;
  const Ctor = inferenceService();
  before(async () => {
    t = await startServer({ env: { MODEL_REPOSITORY: heavy.dir } });
    grpc = await grpcBeside(t);
    client = new Ctor(`127.0.0.1:${grpc.port}`, credentials.createInsecure()) as Client & Record<string, Function>;
    // A first call opens the connection, so that the deadlines below start on the server.
    await new Promise((resolve, reject) => client.ServerLive!({}, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r))));
  });
  after(async () => {
    client.close();
    await grpc.drain();
    await t.close();
    heavy.remove();
  });

  /** A ModelInfer of 64 heavy rows (8 runs of tens of ms each) with request id `id`. */
  function slowInfer(id: string, options: object, onEnd: (err: ServiceError | null) => void) {
    const { inputs } = heavyBody(64);
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken()}`);
    md.set('x-request-id', id);
    return client.ModelInfer!({ model_name: 'heavy', inputs: [{ ...inputs[0], contents: { fp32_contents: inputs[0]!.data } }] }, md, options, onEnd);
  }

  /** The "grpc call" line of request `id`, once written. */
  async function lineOf(id: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 500; i++) {
      const line = t.logs.find((l) => l.msg === 'grpc call' && l.request_id === id);
      if (line) return line;
      await sleep(10);
    }
    return assert.fail(`no grpc call line for ${id}`);
  }

  it('logs DEADLINE_EXCEEDED, the status the client got, for a deadline that passed during inference', async () => {
    const got = await new Promise<ServiceError | null>((resolve) => slowInfer('req_deadline_case_1', { deadline: Date.now() + 40 }, resolve));
    assert.equal(got?.code, 4, 'the client got DEADLINE_EXCEEDED');
    const line = await lineOf('req_deadline_case_1');
    assert.equal(line.grpc_code, 'DEADLINE_EXCEEDED');
  });
  it('logs CANCELLED for a call the client cancelled before its answer was sent', async () => {
    const call = slowInfer('req_cancelled_case_1', {}, () => {});
    await sleep(40);
    call.cancel();
    const line = await lineOf('req_cancelled_case_1');
    assert.equal(line.grpc_code, 'CANCELLED');
  });
  it('logs RESOURCE_EXHAUSTED for an answer grpc-js refused to send (over its send limit), not OK', async () => {
    // A listener whose send limit (40 bytes) is below a ModelMetadata answer: grpc-js refuses it
    // after the handler answered, with a status of its own.
    const s = t.service;
    const small = await listenGrpc({
      dataPlane: s.dataPlane, credentials: s.credentials, spendBudget: s.spendBudget, logger: s.logger, maxMessageBytes: 40,
    }, '127.0.0.1', 0);
    const c = new Ctor(`127.0.0.1:${small.port}`, credentials.createInsecure()) as Client & Record<string, Function>;
    try {
      const md = new Metadata();
      md.set('authorization', `Bearer ${testToken()}`);
      md.set('x-request-id', 'req_too_large_case_1');
      const got = await new Promise<ServiceError | null>((resolve) => c.ModelMetadata!({ name: 'heavy' }, md, resolve));
      assert.equal(got?.code, 8, 'the client got RESOURCE_EXHAUSTED');
      assert.equal((await lineOf('req_too_large_case_1')).grpc_code, 'RESOURCE_EXHAUSTED');
    } finally {
      c.close();
      await small.drain();
    }
  });
  it('still logs OK for a call that was answered', async () => {
    const got = await new Promise<ServiceError | null>((resolve) => slowInfer('req_answered_case_1', {}, resolve));
    assert.equal(got, null);
    assert.equal((await lineOf('req_answered_case_1')).grpc_code, 'OK');
  });
});

describe('POST /v2/models/{name}/infer with a Content-Encoding', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.close());
  const body = JSON.stringify({ inputs: [fp32Input(Object.values(SAMPLES.iris), 1)] });

  for (const encoding of ['br', 'compress', 'zstd', 'gzip, br']) {
    it(`answers 415 {"error"} for ${encoding}`, async () => {
      const r = await t.call('POST', '/v2/models/iris/infer', { raw: body, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
      expectOipError(r, 415, /Content-Encoding/);
    });
  }
  it('inflates gzip and applies the limit to the inflated body', async () => {
    const ok = await t.call('POST', '/v2/models/iris/infer', { raw: gzipSync(body), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    assert.equal(ok.status, 200, ok.text);
    const bomb = gzipSync(Buffer.alloc(33 * 1024 * 1024, 0x20));
    const r = await t.call('POST', '/v2/models/iris/infer', { raw: bomb, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expectOipError(r, 413);
  });
});
