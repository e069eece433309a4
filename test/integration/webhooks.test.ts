import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { applicants, waitForJob } from '../helpers/jobs.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { tempRepository } from '../helpers/repository.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec-test-é-0123456789';
const BASE_MS = 40;
const ENV = { WEBHOOK_SECRET: SECRET, CALLBACK_ALLOWED_HOSTS: '127.0.0.1,hooks.example.com' };
const TUNING = { webhook: { baseDelayMs: BASE_MS, attempts: 6, timeoutMs: 400 } };

let t: TestServer;
let receiver: Receiver;
before(async () => {
  t = await startServer({ env: ENV, service: { jobs: TUNING } });
  receiver = await startReceiver();
});
after(async () => {
  await t.close();
  await receiver.close();
});
beforeEach(() => {
  receiver.received.length = 0;
  receiver.answers.length = 0;
});

/** What a receiver does: recompute the HMAC of the raw body and compare in constant time. */
function verify(raw: Buffer, header: string | string[] | undefined, secret = SECRET): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const got = Buffer.from(String(header ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

const submit = (callback: string, instances: unknown[] = [SAMPLES['loan-approval']], server = t) =>
  server.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-approval', instances, options: { async: true, callback_url: callback } } });

describe('the completion webhook', () => {
  describe('to a receiver that answers 2xx', () => {
    it('POSTs {event: job.succeeded, job} once, signed with HMAC-SHA256 of the raw body', async () => {
      const r = await submit(`${receiver.url}/hooks/ok?x=1`, applicants(12));
      assert.equal(r.status, 202);
      const [hit] = await receiver.waitFor(1);
      assert.equal(hit!.path, '/hooks/ok?x=1');
      assert.match(hit!.headers['content-type']!, /^application\/json/);
      assert.match(String(hit!.headers['x-signature']), /^sha256=[0-9a-f]{64}$/);
      assert.ok(verify(hit!.raw, hit!.headers['x-signature']), 'the signature verifies');
      assert.ok(!verify(hit!.raw, hit!.headers['x-signature'], 'another secret'));
      const event = JSON.parse(hit!.raw.toString('utf8'));
      assert.deepEqual(Object.keys(event), ['event', 'job']);
      assert.equal(event.event, 'job.succeeded');
      assert.equal(hit!.headers['x-webhook-id'], `${r.body.data.job_id}.job.succeeded`, 'the id a receiver drops repeats by (API.md §12)');
      const job = await waitForJob(t, r.body.data.job_id, (j) => j.webhook.state !== 'pending');
      assert.equal(event.job.id, job.id);
      assert.equal(event.job.status, 'succeeded');
      assert.deepEqual(event.job.result, job.result);
      assert.equal(event.job.result.count, 12);
      assert.deepEqual(job.webhook, { url: `${receiver.url}/hooks/ok?x=1`, state: 'delivered', attempts: 1, last_status: 200 });
      await sleep(BASE_MS * 3);
      assert.equal(receiver.received.length, 1, 'a 2xx ends it');
    });
  });

  describe('to a receiver that fails first', () => {
    it('retries with a doubling backoff until a 2xx, the same signed body each time', async () => {
      receiver.answers.push(500, 503, 'hang', 204);
      const r = await submit(`${receiver.url}/hooks/flaky`);
      const hits = await receiver.waitFor(4);
      const job = await waitForJob(t, r.body.data.job_id, (j) => j.webhook.state !== 'pending');
      assert.deepEqual(job.webhook, { url: `${receiver.url}/hooks/flaky`, state: 'delivered', attempts: 4, last_status: 204 });
      for (const h of hits) {
        assert.ok(verify(h.raw, h.headers['x-signature']));
        assert.deepEqual(h.raw, hits[0]!.raw);
        assert.equal(h.headers['x-webhook-id'], `${r.body.data.job_id}.job.succeeded`, 'the same id on every attempt');
      }
      const gaps = hits.slice(1).map((h, i) => h.at - hits[i]!.at);
      assert.ok(gaps[0]! >= BASE_MS - 5, `first retry after the base delay (${gaps[0]} ms)`);
      assert.ok(gaps[1]! >= 2 * BASE_MS - 5, `then doubled (${gaps[1]} ms)`);
      // The third attempt hung: its timeout (400 ms) plus the fourth delay (4 × base).
      assert.ok(gaps[2]! >= 400 + 4 * BASE_MS - 5, `a hanging attempt times out (${gaps[2]} ms)`);
    });
    it('gives up after 6 attempts and records the failure', async () => {
      receiver.answers.push(500, 500, 500, 500, 500, 500, 500);
      const r = await submit(`${receiver.url}/hooks/down`);
      await receiver.waitFor(6);
      const job = await waitForJob(t, r.body.data.job_id, (j) => j.webhook.state !== 'pending');
      assert.equal(job.status, 'succeeded');
      assert.deepEqual(job.webhook, { url: `${receiver.url}/hooks/down`, state: 'failed', attempts: 6, last_status: 500 });
      await sleep(BASE_MS * 40);
      assert.equal(receiver.received.length, 6);
    });
    it('never follows a redirect: a 3xx is a failed attempt', async () => {
      receiver.answers.push((res) => res.writeHead(307, { location: '/elsewhere' }).end(), 200);
      const r = await submit(`${receiver.url}/hooks/moved`);
      const hits = await receiver.waitFor(2);
      assert.deepEqual(hits.map((h) => h.path), ['/hooks/moved', '/hooks/moved']);
      const job = await waitForJob(t, r.body.data.job_id, (j) => j.webhook.state !== 'pending');
      assert.equal(job.webhook.attempts, 2);
    });
  });

  describe('for a job that fails', () => {
    it('POSTs job.failed with the error', async () => {
      const repo = tempRepository().copy('loan-approval');
      const dir = mkdtempSync(join(tmpdir(), 'webhook-failed-'));
      try {
        const env = { ...ENV, MODEL_REPOSITORY: repo.dir, DATA_DIR: dir };
        const first = await startServer({ env, service: { jobs: TUNING } });
        await first.service.jobs.stop(0);
        const r = await first.call('POST', '/api/v1/predict/batch', {
          body: { model: 'loan-approval', version: '1', instances: [SAMPLES['loan-approval']], options: { async: true, callback_url: `${receiver.url}/hooks/failed` } },
        });
        await first.close();
        rmSync(join(repo.dir, 'loan-approval', '1'), { recursive: true });
        const second = await startServer({ env, service: { jobs: TUNING } });
        try {
          const [hit] = await receiver.waitFor(1);
          assert.ok(verify(hit!.raw, hit!.headers['x-signature']));
          const event = JSON.parse(hit!.raw.toString('utf8'));
          assert.equal(event.event, 'job.failed');
          assert.equal(event.job.id, r.body.data.job_id);
          assert.equal(event.job.status, 'failed');
          assert.equal(event.job.error.code, 'MODEL_NOT_FOUND');
          assert.equal(event.job.result, null);
        } finally {
          await second.close();
        }
      } finally {
        repo.remove();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('interrupted by a restart', () => {
    it('is delivered after the restart', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'webhook-restart-'));
      try {
        const slow = { webhook: { baseDelayMs: 60_000, attempts: 6, timeoutMs: 400 } };
        const first = await startServer({ env: { ...ENV, DATA_DIR: dir }, service: { jobs: slow } });
        receiver.answers.push(500);
        const r = await submit(`${receiver.url}/hooks/later`, [SAMPLES['loan-approval']], first);
        await receiver.waitFor(1);
        const pending = await waitForJob(first, r.body.data.job_id, (j) => j.webhook.attempts === 1);
        assert.equal(pending.webhook.state, 'pending');
        await first.close();
        const second = await startServer({ env: { ...ENV, DATA_DIR: dir }, service: { jobs: TUNING } });
        try {
          await receiver.waitFor(2);
          const job = await waitForJob(second, r.body.data.job_id, (j) => j.webhook.state !== 'pending');
          assert.equal(job.webhook.state, 'delivered');
        } finally {
          await second.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('callback_url', () => {
  const cases: Array<[string, string]> = [
    ['a host not in CALLBACK_ALLOWED_HOSTS', 'https://evil.example.org/hook'],
    ['a listed host as a suffix of another', 'https://hooks.example.com.evil.org/hook'],
    ['http to a listed host that is not loopback', 'http://hooks.example.com/hook'],
    ['userinfo', 'https://user:pw@hooks.example.com/hook'],
    ['userinfo hiding the real host', 'https://hooks.example.com@evil.example.org/hook'],
    ['another scheme', 'ftp://hooks.example.com/hook'],
    ['not a URL', 'hooks.example.com/hook'],
    ['a loopback host that is not listed', 'http://localhost:9/hook'],
  ];
  for (const [what, url] of cases) {
    it(`answers 422 at /options/callback_url for ${what}`, async () => {
      const r = await submit(url);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details, [{ field: '/options/callback_url', message: r.body.error.details[0].message, received: url }]);
    });
  }
  it('accepts https to a listed host (any port) and http to a listed loopback host', async () => {
    for (const url of ['https://hooks.example.com:8443/h', 'https://HOOKS.example.com/h', `${receiver.url}/h`]) {
      assert.equal((await submit(url)).status, 202, url);
    }
    await t.service.jobs.webhooksIdle();
  });
  it('lists its problem together with the other problems of the batch', async () => {
    const r = await submit('https://evil.example.org/hook', [{ ...SAMPLES['loan-approval'], age: 5 }]);
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field).sort(), ['/instances/0/age', '/options/callback_url']);
  });
  it('answers 422 for every callback_url without CALLBACK_ALLOWED_HOSTS, or without WEBHOOK_SECRET', async () => {
    for (const env of [{ WEBHOOK_SECRET: SECRET }, { CALLBACK_ALLOWED_HOSTS: '127.0.0.1' }] as Array<Record<string, string>>) {
      const s = await startServer({ env });
      try {
        const r = await submit(`${receiver.url}/hook`, [SAMPLES['loan-approval']], s);
        expectError(r, 422, 'VALIDATION_ERROR');
        assert.equal(r.body.error.details[0].field, '/options/callback_url');
        assert.equal((await s.call('POST', '/api/v1/predict/batch', { body: { model: 'iris', instances: [SAMPLES.iris], options: { async: true } } })).status, 202, 'a job can always be polled');
      } finally {
        await s.close();
      }
    }
    assert.equal(receiver.received.length, 0);
  });
});
