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

/** Deterministic varied loan applicants. */
export function applicants(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    age: 18 + (i * 7) % 60,
    income: 15000 + (i * 7919) % 150000,
    credit_score: 300 + (i * 37) % 551,
    employment_years: (i * 3) % 40,
    loan_amount: 1000 + (i * 4409) % 90000,
  }));
}
