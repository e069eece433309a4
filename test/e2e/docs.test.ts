/**
 * /docs in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; no browser is downloaded): the page renders from local
 * assets under its CSP, and a "Try it out" prediction with a pasted token
 * succeeds. The screenshot goes to test-output/docs.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../helpers/process.js';
import { startServer, testToken, type TestServer } from '../helpers/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(ROOT, 'test-output');

let t: TestServer;
let context: BrowserContext;
let page: Page;
let profile: string;
const problems: string[] = [];
const requests: string[] = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (apt-get install -y chromium)`);
  t = await startServer();
  profile = mkdtempSync(join(tmpdir(), 'docs-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1600 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
});
after(async () => {
  await context?.close();
  await t?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('GET /docs in Chromium', () => {
  it('renders the API from local assets, with no CSP violation and no request elsewhere', async () => {
    const reply = await page.goto(`${t.url}/docs`);
    assert.equal(reply?.status(), 200);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'onnx-serving' }).waitFor({ timeout: 20_000 });
    await page.locator('#operations-predict-postApiV1Predict').waitFor();
    assert.deepEqual(problems, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith(t.url) && !u.startsWith('data:')), []);
  });

  it('runs "Try it out" on POST /api/v1/predict with a pasted token', async () => {
    await page.locator('button.authorize').first().click();
    await page.locator('#auth-bearer-value').fill(testToken('predict', 'docs-user'));
    await page.locator('.auth-btn-wrapper button.authorize').first().click();
    await page.locator('.auth-btn-wrapper button.btn-done').first().click();

    const op = page.locator('#operations-predict-postApiV1Predict');
    await op.locator('.opblock-summary').first().click();
    await op.locator('button.try-out__btn').click();
    const body = { model: 'loan-approval', features: { age: 35, income: 55000, credit_score: 720, employment_years: 8, loan_amount: 25000 } };
    await op.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
    await op.locator('button.execute').click();

    const status = op.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 20_000 });
    assert.equal((await status.innerText()).trim(), '200');
    const answer = await op.locator('.live-responses-table .response-col_description pre').first().innerText();
    assert.match(answer, /"id": "pred_/);
    assert.match(answer, /"model": "loan-approval"/);
    mkdirSync(OUTPUT, { recursive: true });
    await status.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUTPUT, 'docs.png'), fullPage: false });
    assert.deepEqual(problems, []);
  });

  it('is refused by the API without the token (the pasted token was what made it succeed)', async () => {
    const r = await t.call('POST', '/api/v1/predict', { auth: false, body: { model: 'iris', features: { sepal_length: 5, sepal_width: 3, petal_length: 1, petal_width: 0.2 } } });
    assert.equal(r.status, 401);
  });
});
