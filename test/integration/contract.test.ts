import assert from 'node:assert/strict';
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { FAULTY_CONFIG, faultyModel } from '../fixtures/faulty-model.js';
import { tempRepository } from '../helpers/repository.js';
import { expectError, SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer({ env: { BODY_LIMIT_BYTES: '4096' } });
});
after(() => t.close());

const body = JSON.stringify({ model: 'loan-approval', features: SAMPLES['loan-approval'] });
const json = { 'content-type': 'application/json' };
const send = (raw: string | Uint8Array, headers: Record<string, string> = json) =>
  t.call('POST', '/api/v1/predict', { raw, headers });

describe('request ids', () => {
  it('reuses a well-formed incoming X-Request-ID in the header and the body', async () => {
    const r = await t.call('GET', '/api/v1/models', { headers: { 'x-request-id': 'lb-1234:abc.DEF_-' } });
    assert.equal(r.headers.get('x-request-id'), 'lb-1234:abc.DEF_-');
    assert.equal(r.body.meta.request_id, 'lb-1234:abc.DEF_-');
  });
  it('replaces a malformed one with a fresh req_ id', async () => {
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '']) {
      const r = await t.call('GET', '/api/v1/models', { headers: { 'x-request-id': bad } });
      assert.match(r.headers.get('x-request-id')!, /^req_[A-Za-z0-9_-]{16,}$/, JSON.stringify(bad));
    }
  });
  it('is on every response: 404, 405, 413, 415, 400 and 422 alike', async () => {
    const replies = [
      await t.call('GET', '/nowhere'),
      await t.call('PUT', '/api/v1/predict'),
      await send('x'.repeat(5000)),
      await send(body, { 'content-type': 'text/plain' }),
      await send('{'),
      await send('[]'),
    ];
    for (const r of replies) {
      assert.ok(r.headers.get('x-request-id'), `${r.status}`);
      assert.equal(r.body.meta.request_id, r.headers.get('x-request-id'));
    }
  });
  it('appears in the request log line', async () => {
    const r = await t.call('GET', '/api/v1/models', { headers: { 'x-request-id': 'log-check-42' } });
    assert.equal(r.status, 200);
    const line = t.logs.find((l) => l.request_id === 'log-check-42');
    assert.equal(line?.method, 'GET');
    assert.equal(line?.route, '/api/v1/models');
    assert.equal(line?.status, 200);
    assert.equal(typeof line?.duration_ms, 'number');
  });
});

describe('routing', () => {
  it('answers 404 NOT_FOUND for an unknown route, with or without credentials', async () => {
    expectError(await t.call('GET', '/api/v1/nope'), 404, 'NOT_FOUND');
    expectError(await t.call('GET', '/api/v1/nope', { auth: false }), 404, 'NOT_FOUND');
    expectError(await t.call('POST', '/', { auth: false }), 404, 'NOT_FOUND');
  });
  it('answers 405 METHOD_NOT_ALLOWED with Allow for a known path', async () => {
    const r = await t.call('DELETE', '/api/v1/predict', { auth: false });
    expectError(r, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(r.headers.get('allow'), 'POST, OPTIONS');
    const h = await t.call('POST', '/api/v1/health');
    expectError(h, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(h.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });
  it('answers 400 BAD_REQUEST for a path that is not valid percent-encoding', async () => {
    expectError(await t.call('GET', '/api/v1/models/%E0%A4%A'), 400, 'BAD_REQUEST');
  });
});

describe('request bodies', () => {
  it('answers 400 INVALID_JSON for unparseable JSON, without the parser message', async () => {
    const r = await send('{"model": ');
    expectError(r, 400, 'INVALID_JSON');
    assert.doesNotMatch(r.text, /Unexpected|position|SyntaxError/);
  });
  it('answers 400 INVALID_JSON for an empty or whitespace-only body', async () => {
    expectError(await send(''), 400, 'INVALID_JSON');
    expectError(await send('  \n\t '), 400, 'INVALID_JSON');
  });
  it('answers 415 for a body without Content-Type, a non-JSON type and a non-UTF-8 charset', async () => {
    // Authenticated: without credentials the answer is a 401 (authentication comes before the body).
    const noType = await fetch(`${t.url}/api/v1/predict`, { method: 'POST', body: new Blob([body]), headers: { authorization: `Bearer ${testToken()}` } });
    assert.equal(noType.status, 415);
    assert.equal(((await noType.json()) as { error: { code: string } }).error.code, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await send(body, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await send(body, { 'content-type': 'application/json; charset=latin1' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
  it('accepts media type and charset in any case', async () => {
    assert.equal((await send(body, { 'content-type': 'Application/JSON; Charset=UTF-8' })).status, 200);
  });
  it('ignores a leading UTF-8 BOM', async () => {
    assert.equal((await send(`\uFEFF${body}`)).status, 200);
  });
  it('lets the last of duplicate keys win', async () => {
    const r = await send('{"model":"iris","model":"loan-approval","features":' + JSON.stringify(SAMPLES['loan-approval']) + '}');
    assert.equal(r.status, 200);
    assert.equal(r.body.data.model, 'loan-approval');
  });
  it('accepts gzip and deflate bodies, and answers 415 for another encoding', async () => {
    assert.equal((await send(gzipSync(body), { ...json, 'content-encoding': 'gzip' })).status, 200);
    assert.equal((await send(deflateSync(body), { ...json, 'content-encoding': 'deflate' })).status, 200);
    expectError(await send(brotliCompressSync(body), { ...json, 'content-encoding': 'br' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
  it('applies the size limit to the inflated body (a gzip bomb is a 413)', async () => {
    const bomb = gzipSync(JSON.stringify({ model: 'iris', pad: ' '.repeat(1_000_000) }));
    assert.ok(bomb.length < 4096);
    expectError(await send(bomb, { ...json, 'content-encoding': 'gzip' }), 413, 'PAYLOAD_TOO_LARGE');
  });
  it('answers 400 for a corrupt gzip body', async () => {
    expectError(await send('not gzip at all', { ...json, 'content-encoding': 'gzip' }), 400, 'BAD_REQUEST');
  });
  it('answers 413 PAYLOAD_TOO_LARGE over BODY_LIMIT_BYTES', async () => {
    expectError(await send(JSON.stringify({ pad: 'x'.repeat(5000) })), 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('an unexpected failure', () => {
  it('answers 500 INTERNAL_ERROR that leaks nothing, logs it with the request id, and keeps serving', async () => {
    const repo = tempRepository().copy('iris').write('faulty', FAULTY_CONFIG, { '1': faultyModel() });
    const s = await startServer({ env: { MODEL_REPOSITORY: repo.dir } });
    try {
      assert.equal((await s.call('POST', '/api/v1/predict', { body: { model: 'faulty', features: { x: 1 } } })).status, 200);
      const r = await s.call('POST', '/api/v1/predict', { body: { model: 'faulty', features: { x: 7 } } });
      expectError(r, 500, 'INTERNAL_ERROR');
      assert.doesNotMatch(r.text, /at |\.ts|\.js|onnx|gather|indices|bounds/i);
      assert.ok(s.logs.some((l) => l.msg === 'unexpected error' && l.request_id === r.body.meta.request_id));
      const ok = await s.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
      assert.equal(ok.status, 200);
      assert.equal((await s.call('POST', '/api/v1/predict', { body: { model: 'faulty', features: { x: 0 } } })).status, 200);
    } finally {
      await s.close();
      repo.remove();
    }
  });
});
