import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { series } from '../../src/http/middleware/series.js';

const req = {} as Request;
const res = {} as Response;

/** Runs `handler` and resolves with what it passed to next (undefined for a plain next()). */
function outcome(handler: RequestHandler): Promise<unknown> {
  return new Promise((resolve) => handler(req, res, ((err?: unknown) => resolve(err)) as NextFunction));
}

describe('series(handlers)', () => {
  it('runs every handler in order, then calls next() once', async () => {
    const seen: number[] = [];
    const h = (n: number): RequestHandler => (_q, _s, next) => {
      seen.push(n);
      next();
    };
    assert.equal(await outcome(series([h(1), h(2), h(3)])), undefined);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('waits for a handler that calls next later', async () => {
    const seen: string[] = [];
    const later: RequestHandler = (_q, _s, next) => void setImmediate(() => (seen.push('later'), next()));
    const after: RequestHandler = (_q, _s, next) => (seen.push('after'), next());
    await outcome(series([later, after]));
    assert.deepEqual(seen, ['later', 'after']);
  });

  describe('when a handler fails', () => {
    const boom = new Error('boom');
    const never: RequestHandler = () => assert.fail('ran after a failure');

    it('passes next(err) on and skips the rest', async () => {
      assert.equal(await outcome(series([(_q, _s, next) => next(boom), never])), boom);
    });

    it('turns a throw into next(err)', async () => {
      assert.equal(await outcome(series([() => { throw boom; }, never])), boom);
    });

    it('turns a rejected promise into next(err), as Express 5 does', async () => {
      assert.equal(await outcome(series([async () => { throw boom; }, never])), boom);
    });
  });
});
