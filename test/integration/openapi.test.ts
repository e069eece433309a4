import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SCHEMAS_DIR } from '../../src/validation/ajv.js';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let doc: any;
before(async () => {
  t = await startServer();
  doc = (await t.call('GET', '/api/v1/openapi.json', { auth: false })).body;
});
after(() => t.close());

/** Every route of API.md §2–§8, as "METHOD path". */
const CONTRACT_ROUTES = [
  'GET /api/v1/health', 'HEAD /api/v1/health', 'GET /api/v1/health/live', 'GET /api/v1/health/ready',
  'GET /api/v1/models', 'GET /api/v1/models/{name}', 'PATCH /api/v1/models/{name}', 'DELETE /api/v1/models/{name}',
  'GET /api/v1/models/{name}/versions/{version}', 'PUT /api/v1/models/{name}/versions/{version}',
  'DELETE /api/v1/models/{name}/versions/{version}',
  'POST /api/v1/predict', 'POST /api/v1/predict/batch', 'POST /api/v1/models/{name}/predict',
  'GET /api/v1/predictions/{id}', 'GET /api/v1/predict/{id}', 'GET /api/v1/jobs/{id}', 'DELETE /api/v1/jobs/{id}',
  'GET /metrics', 'GET /api/v1/openapi.json', 'GET /docs',
];

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

const resolve = (pointer: string) =>
  pointer.slice(2).split('/').reduce<any>((node, token) => node?.[token.replaceAll('~1', '/').replaceAll('~0', '~')], doc);

describe('GET /api/v1/openapi.json', () => {
  it('answers the bare document, without credentials, with an X-Request-ID', async () => {
    const r = await t.call('GET', '/api/v1/openapi.json', { auth: false, headers: { 'x-request-id': 'docs-1' } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^application\/json; charset=utf-8$/);
    assert.equal(r.headers.get('x-request-id'), 'docs-1');
    assert.equal(r.body.openapi, '3.1.0');
    assert.equal(r.body.status, undefined);
    assert.equal(r.body.meta, undefined);
  });

  it('is a valid OpenAPI 3.1 document (and the validator does catch a broken one)', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    const broken = structuredClone(doc);
    delete broken.paths['/api/v1/predict'].post.responses;
    broken.paths['/api/v1/jobs/{id}'].get.parameters = 'no';
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  it('has every $ref resolve inside the document', () => {
    const all = refs(doc);
    assert.ok(all.length > 50);
    for (const ref of new Set(all)) assert.notEqual(resolve(ref), undefined, ref);
  });

  it('documents exactly the routes of the contract', () => {
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    assert.deepEqual(documented.sort(), [...CONTRACT_ROUTES].sort());
  });

  it('says which scope each protected route needs and leaves health, metrics and docs public', () => {
    assert.deepEqual(doc.paths['/api/v1/predict'].post.security, [{ bearerAuth: ['predict'] }, { apiKey: ['predict'] }]);
    assert.deepEqual(doc.paths['/api/v1/models'].get.security, [{ bearerAuth: ['models:read'] }, { apiKey: ['models:read'] }]);
    for (const path of ['/api/v1/health', '/metrics', '/docs', '/api/v1/openapi.json']) assert.deepEqual(doc.paths[path].get.security, []);
  });

  it('carries the validator’s own schema files as the request body schemas', () => {
    for (const file of readdirSync(SCHEMAS_DIR).filter((f) => /(request|options)\.schema\.json$/.test(f))) {
      const name = file.replace('.schema.json', '').split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
      const { $id: _id, $schema: _s, ...source } = JSON.parse(readFileSync(new URL(file, SCHEMAS_DIR), 'utf8'));
      const component = structuredClone(doc.components.schemas[name]);
      assert.ok(component, name);
      // The one enrichment: the generic features object narrowed to the served models' schemas.
      for (const holder of [component.properties?.features, component.properties?.instances?.items]) if (holder) delete holder.oneOf;
      const rewrite = (s: any): any => JSON.parse(JSON.stringify(s).replace(/"\$ref":"([a-z-]+)\.schema\.json#?/g,
        (_m, f: string) => `"$ref":"#/components/schemas/${f.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`));
      assert.deepEqual(component, rewrite(source), name);
    }
    assert.equal(doc.components.schemas.BatchRequest.properties.options.$ref, '#/components/schemas/BatchOptions');
    assert.ok(doc.components.schemas.BatchOptions.properties.async);
    assert.equal(doc.components.schemas.PredictOptions.properties.async, undefined);
  });

  it('holds each ready model’s feature schema, as GET /models/{name} gives it', async () => {
    for (const model of ['loan-approval', 'iris', 'house-price']) {
      const { title: _title, ...schema } = doc.components.schemas[`Features.${model}`];
      const detail = await t.call('GET', `/api/v1/models/${model}`, { auth: (await import('../helpers/server.js')).testToken() });
      assert.deepEqual(schema, detail.body.data.features, model);
    }
  });

  it('has schemas that are valid JSON Schema 2020-12 (the OpenAPI 3.1 dialect)', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', components: doc.components } as object);
    for (const name of Object.keys(doc.components.schemas)) {
      assert.ok(ajv.getSchema(`doc#/components/schemas/${name}`), name);
    }
  });

  it('gives request examples that the service accepts', async () => {
    const { testToken } = await import('../helpers/server.js');
    let n = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, any>)) {
      const examples = item.post?.requestBody?.content['application/json']?.examples ?? {};
      for (const [model, example] of Object.entries(examples as Record<string, { value: unknown }>)) {
        const r = await t.call('POST', path.replace('{name}', model), { body: example.value, auth: testToken('predict') });
        assert.equal(r.status, 200, `${path} ${model}: ${r.text}`);
        n++;
      }
    }
    // Four shipped models (customer-churn with string features) on three routes.
    assert.equal(n, 12);
  });
});

describe('GET /docs', () => {
  it('answers the page without credentials, with a CSP allowing only its own assets', async () => {
    const r = await t.call('GET', '/docs', { auth: false });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^text\/html/);
    assert.ok(r.headers.get('x-request-id'));
    const csp = r.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(r.text, /https?:\/\//, 'no CDN or other host is referenced');
    for (const asset of r.text.match(/(?:src|href)="([^"]+)"/g)!.map((a) => a.split('"')[1]!)) {
      const a = await t.call('GET', asset, { auth: false });
      assert.equal(a.status, 200, asset);
      assert.equal(a.headers.get('content-security-policy'), csp);
    }
  });
  it('keeps its CSP to /docs', async () => {
    const r = await t.call('GET', '/api/v1/health', { auth: false });
    assert.notEqual(r.headers.get('content-security-policy'), (await t.call('GET', '/docs', { auth: false })).headers.get('content-security-policy'));
  });
  it('serves nothing else of the Swagger UI package', async () => {
    for (const path of ['/docs/index.html', '/docs/swagger-initializer.js', '/docs/../package.json']) {
      assert.equal((await t.call('GET', path, { auth: false })).status, 404, path);
    }
  });
});
