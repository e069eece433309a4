/**
 * SIGTERM with async jobs in a real process (API.md §11): the process exits
 * 0, no job is left `running` (the running one finished or went back to the
 * queue), and after a restart on the same DATA_DIR every queued job runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { STORE_FILE } from '../../src/store/sqlite-store.js';
import { spawnService, waitFor, type Child } from '../helpers/process.js';
import { TEST_JWT_SECRET, testToken } from '../helpers/server.js';

const token = testToken('predict', 'shutdown-test');
const send = (child: Child, method: string, path: string, body?: unknown) =>
  fetch(child.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

const houses = Array.from({ length: 10_000 }, (_, i) => ({
  area_sqm: 30 + (i % 400), bedrooms: i % 6, age_years: i % 150, distance_to_center_km: (i % 90) + 0.5,
}));

describe('SIGTERM with async jobs', () => {
  it('exits 0 leaving no job running, and every queued job runs after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-sigterm-'));
    const env = { DATA_DIR: dir, AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_TIMEOUT_MS: '0' };
    try {
      const first = await spawnService(process.execPath, ['dist/main.js'], env);
      const ids: string[] = [];
      try {
        await waitFor(`${first.url}/api/v1/health`);
        for (let i = 0; i < 3; i++) {
          const r = await send(first, 'POST', '/api/v1/predict/batch', { model: 'house-price', instances: houses, options: { async: true, explain: true } });
          assert.equal(r.status, 202, JSON.stringify(r.body));
          ids.push(r.body.data.job_id);
        }
        // Signal while the first job is running, if it is still running.
        for (let i = 0; i < 200; i++) {
          const job = (await send(first, 'GET', `/api/v1/jobs/${ids[0]}`)).body.data;
          if (job.status !== 'queued') break;
          await sleep(2);
        }
      } finally {
        first.proc.kill('SIGTERM');
      }
      assert.equal(await first.exited, 0, first.output());

      const db = new Database(join(dir, STORE_FILE), { readonly: true });
      const states = db.prepare('SELECT status FROM jobs').all() as Array<{ status: string }>;
      db.close();
      assert.equal(states.length, 3);
      assert.ok(states.every((s) => s.status === 'queued' || s.status === 'succeeded'), JSON.stringify(states));
      assert.ok(states.some((s) => s.status === 'queued'), 'the stop left work for the restart');

      const second = await spawnService(process.execPath, ['dist/main.js'], env);
      try {
        await waitFor(`${second.url}/api/v1/health`);
        for (const id of ids) {
          let job: any;
          for (let i = 0; i < 600; i++) {
            job = (await send(second, 'GET', `/api/v1/jobs/${id}`)).body.data;
            if (job.finished_at) break;
            await sleep(50);
          }
          assert.equal(job.status, 'succeeded', id);
          assert.equal(job.result.count, 10_000);
        }
      } finally {
        second.proc.kill('SIGTERM');
        assert.equal(await second.exited, 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
