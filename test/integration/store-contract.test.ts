/**
 * One contract for both stores (STYLE.md §11): the embedded SQLite file and a
 * real PostgreSQL 15 answer every question the same way — records, the job
 * life cycle, leases and their takeover, webhook deliveries, retention.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createLogger } from '../../src/logger.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { purgeExpired } from '../../src/store/retention.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Lease, Store } from '../../src/store/store.js';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres.js';

const DAY = 86_400_000;
const silent = createLogger('silent');
const request = { model: 'm', version: '1', instances: [{ a: 1 }, { a: 2 }], options: {} };
const lease = (owner: string, now: number, ms = 1000): Lease => ({ owner, now, ms });

interface Subject {
  name: string;
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

function contract(subject: Subject) {
  describe(`${subject.name} store`, () => {
    let store: Store;
    const job = (id: string, createdAt: number, callbackUrl: string | null = null) =>
      store.insertJob({ id, owner: 'sub:a', createdAt, request, callbackUrl });
    before(async () => {
      store = await subject.open();
    });
    after(async () => {
      await store.close();
      await subject.cleanup();
    });

    describe('prediction records', () => {
      it('stores a record and reads it back as it was, keys in their order', async () => {
        const record = { id: 'pred_1', owner: 'key:k', createdAt: 5, model: 'm', modelVersion: '1', features: { b: 1, a: 2.5 }, options: {}, result: { prediction: 'x', probability: 0.25 } };
        await store.savePrediction(record);
        const back = await store.getPrediction('pred_1');
        assert.deepEqual(back, record);
        assert.deepEqual(Object.keys(back!.features), ['b', 'a']);
        assert.equal(await store.getPrediction('pred_2'), undefined);
      });

      it('writes the records saved in one turn together, each promise settling once written', async () => {
        const ids = Array.from({ length: 300 }, (_, i) => `pred_turn_${i}`);
        await Promise.all(ids.map((id, i) => store.savePrediction({ id, owner: 'sub:t', createdAt: i, model: 'm', modelVersion: '1', features: { i }, options: {}, result: {} })));
        for (const id of [ids[0]!, ids[299]!]) assert.equal((await store.getPrediction(id))?.id, id);
      });

      it('fails only the duplicate when one record of a group cannot be written', async () => {
        const base = { owner: 'sub:t', createdAt: 1, model: 'm', modelVersion: '1', features: {}, options: {}, result: {} };
        const outcomes = await Promise.allSettled([store.savePrediction({ ...base, id: 'pred_1' }), store.savePrediction({ ...base, id: 'pred_fresh' })]);
        assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'fulfilled']);
      });
    });

    describe('jobs', () => {
      it('claims queued jobs oldest first, one claim per job', async () => {
        await job('job_b', 200);
        await job('job_a', 100);
        const [first, second, none] = [await store.claimNextJob(lease('r1', 1000)), await store.claimNextJob(lease('r2', 1000, 4000)), await store.claimNextJob(lease('r3', 1000))];
        assert.deepEqual([first?.id, first?.status, first?.takenOverFrom], ['job_a', 'running', null]);
        assert.equal(second?.id, 'job_b');
        assert.equal(none, undefined);
        assert.deepEqual(await store.getJobRequest('job_a'), request);
      });

      it('records progress only for the lease holder, which renews it', async () => {
        assert.equal(await store.updateProgress('job_a', 1, lease('r2', 1100)), false, 'not the holder');
        assert.equal(await store.updateProgress('job_a', 1, lease('r1', 1500)), true);
        assert.equal((await store.getJob('job_a'))?.done, 1);
        // Renewed until 2500: at 2200 nobody else may take it.
        assert.equal(await store.claimNextJob(lease('r3', 2200)), undefined);
      });

      it('lets another owner take over a job whose lease expired, and the old holder no longer writes it', async () => {
        const taken = await store.claimNextJob(lease('r3', 2600));
        assert.deepEqual([taken?.id, taken?.takenOverFrom, taken?.done], ['job_a', 'r1', 0]);
        assert.equal(await store.updateProgress('job_a', 2, lease('r1', 2700)), false);
        assert.equal(await store.finishJob('job_a', lease('r1', 2700), { status: 'succeeded', at: 2700, result: {} }), false);
        assert.equal(await store.finishJob('job_a', lease('r3', 2800), { status: 'succeeded', at: 2800, result: { ok: 1 } }), true);
        const done = await store.getJob('job_a');
        assert.deepEqual([done?.status, done?.done, done?.finishedAt, done?.result, done?.webhook], ['succeeded', 2, 2800, { ok: 1 }, null]);
      });

      it('renews the leases named, only for their holder, and lets an owner reclaim its own job', async () => {
        await store.renewLeases(lease('r9', 5000), ['job_b']);
        await store.renewLeases(lease('r2', 4000), ['job_a']);
        await store.renewLeases(lease('r2', 5000), ['job_b']);
        assert.equal(await store.claimNextJob(lease('r9', 5500)), undefined, 'job_b renewed until 6000');
        assert.equal((await store.claimNextJob(lease('r2', 5500)))?.id, 'job_b', 'its own');
      });

      it('hands a job back to the queue for anyone, only from its holder', async () => {
        assert.equal(await store.releaseJob('job_b', 'r9'), false);
        assert.equal(await store.releaseJob('job_b', 'r2'), true);
        const back = await store.getJob('job_b');
        assert.deepEqual([back?.status, back?.done, back?.startedAt], ['queued', 0, null]);
        assert.equal((await store.claimNextJob(lease('r9', 5600)))?.id, 'job_b');
      });

      it('cancels an unfinished job (its holder then loses it) and never a finished one', async () => {
        assert.equal(await store.cancelJob('job_b', 5700), true);
        assert.equal(await store.updateProgress('job_b', 1, lease('r9', 5800)), false);
        assert.equal(await store.finishJob('job_b', lease('r9', 5800), { status: 'succeeded', at: 5800, result: {} }), false);
        assert.equal((await store.getJob('job_b'))?.status, 'cancelled');
        assert.equal(await store.cancelJob('job_b', 5900), false);
        assert.equal(await store.cancelJob('job_a', 5900), false);
      });

      it('never gives the same job to two concurrent claims', async () => {
        for (let i = 0; i < 5; i++) await job(`job_race_${i}`, 10_000 + i);
        const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimNextJob(lease(`racer${i}`, 20_000))));
        const ids = claims.filter((c) => c !== undefined).map((c) => c!.id).sort();
        assert.deepEqual(ids, [0, 1, 2, 3, 4].map((i) => `job_race_${i}`));
        for (const c of claims) if (c) await store.cancelJob(c.id, 20_001);
      });
    });

    describe('webhook deliveries', () => {
      it('makes a finished job with a callback pending, leased to its finisher', async () => {
        await job('job_hook', 30_000, 'http://127.0.0.1:1/hook');
        await store.claimNextJob(lease('w1', 30_000));
        assert.equal(await store.finishJob('job_hook', lease('w1', 30_100), { status: 'succeeded', at: 30_100, result: {} }), true);
        assert.deepEqual((await store.getJob('job_hook'))?.webhook, { state: 'pending', attempts: 0, last_status: null, last_attempt_at: null });
        assert.equal(await store.claimWebhook(lease('w2', 30_500)), undefined, 'leased to w1 until 31100');
      });

      it('records attempts from the holder only, and lets another take over an expired delivery', async () => {
        const attempt = { state: 'pending' as const, attempts: 1, last_status: 500, last_attempt_at: 30_200 };
        assert.equal(await store.setWebhook('job_hook', attempt, lease('w2', 30_200)), false);
        assert.equal(await store.setWebhook('job_hook', attempt, lease('w1', 30_200)), true);
        const taken = await store.claimWebhook(lease('w2', 31_300));
        assert.deepEqual([taken?.id, taken?.webhook], ['job_hook', attempt]);
        assert.equal(await store.setWebhook('job_hook', { ...attempt, attempts: 2 }, lease('w1', 31_400)), false, 'w1 lost it');
        assert.equal(await store.setWebhook('job_hook', { state: 'delivered', attempts: 2, last_status: 200, last_attempt_at: 31_400 }, lease('w2', 31_400)), true);
        assert.equal(await store.claimWebhook(lease('w3', 99_000)), undefined, 'delivered: nothing to resume');
      });
    });

    describe('retention', () => {
      it('purges records and finished jobs past the retention period, never unfinished jobs, harmlessly twice at once', async () => {
        const now = 100 * DAY;
        const old = now - 31 * DAY;
        await store.savePrediction({ id: 'pred_old', owner: 'a', createdAt: old, model: 'm', modelVersion: '1', features: {}, options: {}, result: {} });
        await store.savePrediction({ id: 'pred_new', owner: 'a', createdAt: now - DAY, model: 'm', modelVersion: '1', features: {}, options: {}, result: {} });
        await job('job_old_finished', old);
        await job('job_old_queued', old - DAY);
        await store.claimNextJob(lease('p', old));
        await store.finishJob('job_old_queued', lease('p', old), { status: 'failed', at: old, error: { code: 'X', message: 'x' } });
        await job('job_old_waiting', old);
        const [a, b] = await Promise.all([purgeExpired(store, 30, now), purgeExpired(store, 30, now)]);
        assert.equal(await store.getPrediction('pred_old'), undefined);
        assert.ok(await store.getPrediction('pred_new'));
        assert.equal(await store.getJob('job_old_queued'), undefined);
        assert.equal((await store.getJob('job_old_finished'))?.status, 'queued');
        assert.ok(a.predictions + b.predictions >= 1 && a.jobs + b.jobs >= 1);
      });
    });

    describe('job quotas (insertJobWithinQuota)', () => {
      const roomy = { perOwner: 1_000, queued: 1_000 };
      const quotaJob = (id: string, owner: string, createdAt = 10 * DAY) => ({ id, owner, createdAt, request, callbackUrl: null });

      it('counts an owner\'s queued and running jobs, not its finished ones, and stores nothing when full', async () => {
        const quota = { perOwner: 2, queued: 1_000 };
        assert.equal(await store.insertJobWithinQuota(quotaJob('job_q_1', 'sub:quota'), quota), 'inserted');
        assert.equal(await store.insertJobWithinQuota(quotaJob('job_q_2', 'sub:quota'), quota), 'inserted');
        assert.equal(await store.insertJobWithinQuota(quotaJob('job_q_3', 'sub:quota'), quota), 'owner-full');
        assert.equal(await store.getJob('job_q_3'), undefined, 'nothing stored');
        assert.equal(await store.insertJobWithinQuota(quotaJob('job_q_other', 'sub:quota-other'), quota), 'inserted', 'another owner has its own quota');
        assert.equal(await store.cancelJob('job_q_1', 11 * DAY), true);
        assert.equal(await store.insertJobWithinQuota(quotaJob('job_q_3', 'sub:quota'), quota), 'inserted', 'a finished job frees its place');
        assert.equal((await store.getJob('job_q_3'))?.status, 'queued');
      });

      it('caps the queued jobs of all owners together, running ones not counted', async () => {
        let verdict = 'inserted';
        let n = 0;
        // However many the tests before left queued, the cap of 50 is reached within 50 inserts.
        for (; n < 60 && verdict === 'inserted'; n++) verdict = await store.insertJobWithinQuota(quotaJob(`job_cap_${n}`, `sub:cap-${n}`), { perOwner: 10, queued: 50 });
        assert.equal(verdict, 'queue-full');
        assert.equal(await store.getJob(`job_cap_${n - 1}`), undefined, 'nothing stored');
        assert.equal(await store.insertJobWithinQuota(quotaJob('job_cap_more', 'sub:cap-new'), { perOwner: 10, queued: 50 }), 'queue-full');
        assert.ok(await store.claimNextJob(lease('quota-runner', 20 * DAY, 10 * DAY)), 'a queued job starts running');
        assert.equal(await store.insertJobWithinQuota(quotaJob('job_cap_more', 'sub:cap-new'), { perOwner: 10, queued: 50 }), 'inserted');
        assert.equal(await store.insertJobWithinQuota(quotaJob('job_cap_roomy', 'sub:cap-new'), roomy), 'inserted');
      });

      it('does not let 20 concurrent submissions of one owner far past its quota', async () => {
        const verdicts = await Promise.all(Array.from({ length: 20 }, (_, i) =>
          store.insertJobWithinQuota(quotaJob(`job_race_${i}`, 'sub:racer'), { perOwner: 5, queued: 100_000 })));
        const inserted = verdicts.filter((v) => v === 'inserted').length;
        assert.ok(inserted >= 5, `${inserted} inserted`);
        // SQLite counts and inserts under one write lock: exact. PostgreSQL may overshoot by the statements
        // in flight at once on other connections (the pool holds 5): docs/security.md "Job quotas".
        assert.ok(inserted <= (store.shared ? 5 + 4 : 5), `${inserted} inserted`);
        assert.equal(verdicts.filter((v) => v === 'owner-full').length, 20 - inserted);
      });
    });
  });
}

const dirs: string[] = [];
contract({
  name: 'SQLite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
    dirs.push(dir);
    return openSqliteStore(join(dir, 'nested', 'data'));
  },
  async cleanup() {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  },
});

const missing = postgresMissing();
if (missing) {
  describe('PostgreSQL store', () => {
    it(`cannot run here: ${missing}`, { skip: missing }, () => {});
  });
} else {
  let server: TestPostgres | undefined;
  contract({
    name: 'PostgreSQL',
    async open() {
      server = await startPostgres();
      const store = openPostgresStore(server.url, 5, silent);
      await store.ready();
      return store;
    },
    async cleanup() {
      await server?.destroy();
    },
  });
}

describe('SQLite store specifics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-sqlite-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates DATA_DIR and runs in WAL mode', async () => {
    const store = openSqliteStore(join(dir, 'wal'));
    await store.close();
    const db = new Database(join(dir, 'wal', 'onnx-serving.sqlite'), { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('adds the lease columns to a store file written before them, keeping its jobs', async () => {
    const old = join(dir, 'old');
    const first = openSqliteStore(old);
    await first.insertJob({ id: 'job_kept', owner: 'o', createdAt: 1, request, callbackUrl: null });
    await first.close();
    const db = new Database(join(old, 'onnx-serving.sqlite'));
    for (const c of ['lease_owner', 'lease_until', 'webhook_owner', 'webhook_until']) db.exec(`ALTER TABLE jobs DROP COLUMN ${c}`);
    db.close();
    const reopened = openSqliteStore(old);
    assert.equal((await reopened.claimNextJob(lease('r', 5)))?.id, 'job_kept');
    await reopened.close();
  });

  it('requeues every running job and drops every webhook lease after a restart', async () => {
    const store = openSqliteStore(join(dir, 'restart'));
    await store.insertJob({ id: 'job_r', owner: 'o', createdAt: 1, request, callbackUrl: null });
    await store.claimNextJob(lease('gone', 2, 60_000));
    assert.equal(await store.requeueJobs(), 1);
    assert.equal((await store.claimNextJob(lease('new', 3)))?.id, 'job_r');
    await store.close();
  });

  it('refuses to open where it cannot write, naming DATA_DIR', () => {
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    assert.throws(() => openSqliteStore(join(dir, 'a-file', 'data')), /DATA_DIR/);
  });
});
