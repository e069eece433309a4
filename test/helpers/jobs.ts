/** Helpers for async job tests: polling a job until it reaches a state. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply, TestServer } from './server.js';

/** Polls GET /jobs/{id} until `until(job)` holds (default: the job has finished); fails after `timeoutMs`. */
export async function waitForJob(
  t: TestServer,
  id: string,
  until: (job: any) => boolean = (job) => job.finished_at !== null,
  headers: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: Reply | undefined;
  while (Date.now() < deadline) {
    last = await t.call('GET', `/api/v1/jobs/${id}`, { headers });
    if (last.status === 200 && until(last.body.data)) return last.body.data;
    await sleep(5);
  }
  throw new Error(`job ${id} did not get there in ${timeoutMs} ms: ${last?.text.slice(0, 500)}`);
}

export { applicants } from './rows.js';
