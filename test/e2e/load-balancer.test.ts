/**
 * Two replicas behind a real load balancer (nginx, round robin), driven only
 * through it (API.md §12): records and jobs behave as one service, whichever
 * replica a request lands on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, bigJob, pollJob } from '../helpers/api.js';
import { nginxMissing, startNginx, type TestNginx } from '../helpers/nginx.js';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { killReplica, startReplica, type Replica } from '../helpers/replicas.js';
import { SAMPLES } from '../helpers/server.js';

const missing = postgresMissing() ?? nginxMissing();

describe('two replicas behind nginx (round robin)', { skip: missing }, () => {
  let db: TestPostgres;
  let lb: TestNginx;
  const replicas: Replica[] = [];
  before(async () => {
    db = await startPostgres();
    const url = await db.createDatabase('balanced');
    for (const name of ['a', 'b']) replicas.push(await startReplica(name, url, { TRUST_PROXY: 'loopback', MAX_BATCH_SIZE: '20000' }));
    lb = await startNginx(replicas.map((r) => new URL(r.url).host));
  });
  after(async () => {
    await lb?.stop();
    for (const r of replicas) await killReplica(r);
    await db?.destroy();
  });

  describe('when predictions are made and read back through the balancer', () => {
    it('answers every record on every request, whichever replica serves it', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const p = await api(lb.url, 'POST', '/api/v1/predict', { model: 'loan-approval', features: { ...SAMPLES['loan-approval'], age: 30 + i } }, 'carol');
        assert.equal(p.status, 200);
        ids.push(p.body.data.id);
      }
      for (const id of ids) {
        for (let k = 0; k < 2; k++) {
          const r = await api(lb.url, 'GET', `/api/v1/predictions/${id}`, undefined, 'carol');
          assert.equal(r.status, 200, `${id}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.data.id, id);
        }
      }
    });
  });

  describe('when jobs are submitted, polled and cancelled through the balancer', () => {
    it('runs each to its end (or stops it) as one service would', async () => {
      const done = await api(lb.url, 'POST', '/api/v1/predict/batch', bigJob(200));
      assert.equal(done.status, 202);
      assert.equal(done.headers.get('location'), `/api/v1/jobs/${done.body.data.job_id}`);
      const job = await pollJob(lb.url, done.body.data.job_id, (j) => j.finished_at !== null);
      assert.equal(job.status, 'succeeded');
      assert.equal(job.result.count, 200);

      const big = await api(lb.url, 'POST', '/api/v1/predict/batch', bigJob(20_000));
      const id = big.body.data.job_id;
      await pollJob(lb.url, id, (j) => j.status === 'running');
      const c = await api(lb.url, 'DELETE', `/api/v1/jobs/${id}`);
      assert.equal(c.status, 202);
      const again = await api(lb.url, 'DELETE', `/api/v1/jobs/${id}`);
      assert.equal(again.status, 409, 'cancelled on whichever replica: finished for all');
      assert.equal((await pollJob(lb.url, id, () => true)).status, 'cancelled');
    });

    it('spread the requests over both replicas', () => {
      const used = new Set(lb.upstreams());
      for (const r of replicas) assert.ok(used.has(new URL(r.url).host), `${r.name} served some requests: ${[...used].join(', ')}`);
    });
  });
});
