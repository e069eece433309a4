import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ajv } from '../../src/validation/ajv.js';
import { DetailCollector, MAX_DETAILS, pointerToken, truncate } from '../../src/validation/details.js';

const validate = ajv.compile({
  type: 'object', additionalProperties: false, required: ['age'],
  properties: { age: { type: 'integer', minimum: 18 } },
});

function details(value: unknown) {
  const c = new DetailCollector();
  if (!validate(value)) c.addAjv(validate.errors, '/features');
  return c;
}

describe('validation details', () => {
  it('points a missing property at itself, without received', () => {
    assert.deepEqual(details({}).details, [{ field: '/features/age', message: 'is required' }]);
  });
  it('points an unknown property at itself, with its value', () => {
    const d = details(JSON.parse('{"age": 30, "__proto__": {"x": 1}}')).details;
    assert.deepEqual(d, [{ field: '/features/__proto__', message: 'is not an allowed property', received: { x: 1 } }]);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
  it('echoes the offending value of a type or range error', () => {
    assert.deepEqual(details({ age: -5 }).details, [{ field: '/features/age', message: 'must be >= 18', received: -5 }]);
    assert.equal(details({ age: '35' }).details[0]!.received, '35');
  });
  it('accepts an integer written with a zero fraction', () => {
    assert.equal(details(JSON.parse('{"age": 35.0}')).empty, true);
  });
  it('keeps at most MAX_DETAILS but counts them all', () => {
    const c = new DetailCollector();
    for (let i = 0; i < 150; i++) c.add({ field: `/x/${i}`, message: 'bad' });
    assert.equal(c.details.length, MAX_DETAILS);
    assert.equal(c.total, 150);
  });
});

describe('truncate', () => {
  it('bounds depth to 3, members to 20 and strings to 200 characters', () => {
    assert.equal((truncate('x'.repeat(500)) as string).length, 200);
    assert.equal((truncate(Array.from({ length: 50 }, (_, i) => i)) as number[]).length, 20);
    assert.deepEqual(truncate({ a: { b: { c: { d: 1 } } } }), { a: { b: { c: '{…}' } } });
  });
});

describe('pointerToken', () => {
  it('escapes ~ and / (RFC 6901)', () => {
    assert.equal(pointerToken('a/b~c'), 'a~1b~0c');
  });
});
