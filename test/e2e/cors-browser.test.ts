/**
 * CORS in a real browser (issue 3, API.md §7): headless Chromium (the Debian
 * package, never a downloaded browser) loads a page from an allowed origin
 * and one from a disallowed origin — two static servers on 127.0.0.1 with
 * different ports are different origins — and each page calls the API with
 * fetch and an Authorization header. The first succeeds and can read the
 * exposed headers; the second is blocked by the browser, and the request it
 * wanted to make never reaches the service.
 *
 * Without /usr/bin/chromium this test FAILS (it never skips): CI installs the
 * package (.ci/run).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A static page server on loopback: its origin is http://127.0.0.1:<port>. */
async function pageServer(title: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>${title}</title></head><body>${title}</body></html>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface FetchOutcome {
  ok: boolean;
  status?: number;
  body?: any;
  requestId?: string | null;
  rateLimitRemaining?: string | null;
  error?: string;
}

/** Runs fetch inside the page (so the browser applies CORS for the page's origin). */
function fetchFrom(page: Page, url: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<FetchOutcome> {
  return page.evaluate(async ({ url, init }) => {
    try {
      const r = await fetch(url, init);
      const text = await r.text();
      return {
        ok: true, status: r.status, body: text ? JSON.parse(text) : null,
        requestId: r.headers.get('X-Request-ID'), rateLimitRemaining: r.headers.get('X-RateLimit-Remaining'),
      };
    } catch (err) {
      return { ok: false, error: String(err) };
    }
  }, { url, init });
}

describe('CORS in headless Chromium', { timeout: 120_000 }, () => {
  let api: TestServer;
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };
  let context: BrowserContext;
  let profile: string;
  const token = testToken('predict', 'browser-user');
  const predictInit = {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'loan-approval', features: SAMPLES['loan-approval'] }),
  };
  const posts = () => api.logs.filter((l) => l.method === 'POST' && l.route === '/api/v1/predict').length;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this); this test must not be skipped`);
    allowed = await pageServer('allowed');
    other = await pageServer('other');
    api = await startServer({ env: { CORS_ORIGINS: allowed.origin } });
    profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000,
    });
  });
  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await api?.close();
    allowed?.server.close();
    other?.server.close();
  });

  describe('a page from the allowed origin', () => {
    it('calls POST /api/v1/predict with an Authorization header and reads the answer and exposed headers', async () => {
      const page = await context.newPage();
      await page.goto(`${allowed.origin}/`);
      const before = posts();
      const r = await fetchFrom(page, `${api.url}/api/v1/predict`, predictInit);
      assert.equal(r.ok, true, r.error);
      assert.equal(r.status, 200);
      assert.equal(r.body.data.model, 'loan-approval');
      assert.equal(r.requestId, r.body.meta.request_id);
      assert.match(r.rateLimitRemaining ?? '', /^\d+$/, 'X-RateLimit-Remaining is exposed to the page');
      assert.equal(posts(), before + 1);
      await page.close();
    });
    it('can read a 401 error envelope', async () => {
      const page = await context.newPage();
      await page.goto(`${allowed.origin}/`);
      const r = await fetchFrom(page, `${api.url}/api/v1/models`, { method: 'GET' });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'UNAUTHORIZED');
      await page.close();
    });
  });

  describe('a page from a disallowed origin', () => {
    it('is blocked by the browser: fetch fails and the POST never reaches the service', async () => {
      const page = await context.newPage();
      await page.goto(`${other.origin}/`);
      const before = posts();
      const r = await fetchFrom(page, `${api.url}/api/v1/predict`, predictInit);
      assert.equal(r.ok, false);
      assert.match(r.error ?? '', /TypeError|Failed to fetch/);
      // The preflight was refused, so the browser never sent the request itself.
      assert.equal(posts(), before);
      await page.close();
    });
    it('cannot read even a simple GET (no preflight) from the service', async () => {
      const page = await context.newPage();
      await page.goto(`${other.origin}/`);
      const r = await fetchFrom(page, `${api.url}/api/v1/health`, { method: 'GET' });
      assert.equal(r.ok, false);
      await page.close();
    });
  });
});
