/**
 * Builds the real service (real models, real onnxruntime-node) with a test
 * configuration and listens on an ephemeral loopback port: tests speak real
 * HTTP to it with fetch.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../../src/config.js';
import { createHttpServer } from '../../src/http/listener.js';
import { createLogger } from '../../src/logger.js';
import { createService, type Service, type ServiceOptions } from '../../src/service.js';

/** The shipped model repository. */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/** The HS256 secret test servers trust unless a test configures auth itself. */
export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

/** A token for the test servers' default auth (HS256, TEST_JWT_SECRET). */
export function testToken(scope = 'admin', sub = 'test-user', extra: Record<string, unknown> = {}): string {
  return jwt.sign({ scope, ...extra }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: sub, expiresIn: '1h' });
}

export type CallInit = {
  body?: unknown;
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  /** false: send no Authorization header; a string: use that token. Default: an admin token. */
  auth?: false | string;
};

export interface TestServer {
  url: string;
  /** A request to this server, with an admin token unless `init.auth` says otherwise. */
  call(method: string, path: string, init?: CallInit): Promise<Reply>;
  service: Service;
  server: Server;
  /** Every log line written so far, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Environment variables, as an operator would set them. */
  env?: Record<string, string>;
  /** Listen before the models load (to observe `starting`). */
  listenBeforeStart?: boolean;
  /** Replacements for the service's defaults (e.g. a test guard). */
  service?: ServiceOptions;
}

/** Starts the service with `env` on top of test defaults. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  // Each server gets its own store unless the test names one (e.g. to restart on it).
  const tempData = options.env?.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'onnx-serving-data-')) : undefined;
  const config = loadConfig({
    MODEL_REPOSITORY: MODELS_DIR,
    LOG_LEVEL: 'info',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    ...(tempData === undefined ? {} : { DATA_DIR: tempData }),
    // Functional tests send many requests from one address; rate-limit tests set their own budgets.
    RATE_LIMIT_PREDICT_PER_MIN: '1000000',
    RATE_LIMIT_BATCH_PER_MIN: '1000000',
    RATE_LIMIT_DEFAULT_PER_MIN: '1000000',
    ...options.env,
  });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const service = createService(config, createLogger(config.logLevel, sink), options.service);
  if (!options.listenBeforeStart) await service.start();
  const server = createHttpServer(service.app, service.config);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const admin = testToken();
  return {
    url,
    call(method, path, init = {}) {
      const headers = { ...init.headers };
      if (init.auth !== false && headers.authorization === undefined) {
        headers.authorization = `Bearer ${init.auth ?? admin}`;
      }
      return call(url, method, path, { ...init, headers });
    },
    service,
    server,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close();
      if (tempData !== undefined) rmSync(tempData, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** One request; `body` objects are sent as JSON unless `raw` is given. */
export async function call(
  base: string,
  method: string,
  path: string,
  init: CallInit = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | Uint8Array | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Asserts the error envelope's shape: status, code, request id in header and body. */
export function expectError(reply: Reply, status: number, code: string): void {
  const fail = (why: string) => {
    throw new Error(`${why}: got ${reply.status} ${reply.text}`);
  };
  if (reply.status !== status) fail(`expected HTTP ${status}`);
  if (reply.body?.status !== 'error') fail('expected the error envelope');
  if (reply.body.error?.code !== code) fail(`expected code ${code}`);
  const id = reply.headers.get('x-request-id');
  if (!id || reply.body.meta?.request_id !== id) fail('expected meta.request_id to equal X-Request-ID');
  if (typeof reply.body.meta.timestamp !== 'string' || typeof reply.body.meta.response_time_ms !== 'number') {
    fail('expected meta.timestamp and meta.response_time_ms');
  }
}

/** Valid features for each shipped model. */
export const SAMPLES = {
  'loan-approval': { age: 35, income: 55000, credit_score: 720, employment_years: 8, loan_amount: 25000 },
  iris: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
  'house-price': { area_sqm: 120, bedrooms: 3, age_years: 20, distance_to_center_km: 5 },
} as const;
