import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { readBody, type BodyError } from '../../src/http/middleware/read-body.js';

/** A request stream with these headers; `feed` writes chunks later, as a socket would. */
function request(headers: Record<string, string>) {
  const stream = new PassThrough() as PassThrough & { headers: Record<string, string> };
  stream.headers = headers;
  return stream;
}

const read = (req: PassThrough, limit: number) =>
  new Promise<{ err: BodyError | Error | null; body?: Buffer }>((resolve) =>
    readBody(req as unknown as IncomingMessage, limit, (err, body) => resolve({ err, body })));

describe('readBody', () => {
  it('gives the whole body, in one Buffer, however it was chunked', async () => {
    const req = request({ 'content-length': '11' });
    const result = read(req, 100);
    req.write('hello ');
    req.end('world');
    const { err, body } = await result;
    assert.equal(err, null);
    assert.equal(body!.toString(), 'hello world');
  });
  it('refuses a declared Content-Length over the limit without reading: 413 entity.too.large with the limit', async () => {
    const req = request({ 'content-length': '101' });
    const { err } = await read(req, 100);
    assert.equal((err as BodyError).type, 'entity.too.large');
    assert.equal((err as BodyError).status, 413);
    assert.equal((err as BodyError).limit, 100);
  });
  it('refuses a chunked body once it passes the limit, and leaves the stream paused', async () => {
    const req = request({ 'transfer-encoding': 'chunked' });
    const result = read(req, 10);
    req.write('0123456789');
    req.write('x');
    const { err } = await result;
    assert.equal((err as BodyError).type, 'entity.too.large');
    assert.ok(req.isPaused());
  });
  it('says request.size.invalid (400) when the body ends before its Content-Length', async () => {
    const req = request({ 'content-length': '20' });
    const result = read(req, 100);
    req.end('short');
    const { err } = await result;
    assert.equal((err as BodyError).type, 'request.size.invalid');
    assert.equal((err as BodyError).status, 400);
  });
  it('says request.aborted (400) when the client goes away mid-body', async () => {
    const req = request({ 'content-length': '20' });
    const result = read(req, 100);
    req.write('part');
    req.emit('aborted');
    const { err } = await result;
    assert.equal((err as BodyError).type, 'request.aborted');
    assert.equal((err as BodyError).status, 400);
  });
  it('calls back once, and no more listeners are left on the request', async () => {
    const req = request({ 'content-length': '2' });
    let calls = 0;
    await new Promise<void>((resolve) => {
      readBody(req as unknown as IncomingMessage, 100, () => {
        calls++;
        resolve();
      });
      req.end('{}');
    });
    req.emit('close');
    assert.equal(calls, 1);
    assert.equal(req.listenerCount('data') + req.listenerCount('end') + req.listenerCount('aborted'), 0);
  });
});
