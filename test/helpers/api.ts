/** Plain HTTP calls to a replica or a balancer by base URL, as a client would make them. */
import { setTimeout as sleep } from 'node:timers/promises';
import { testToken } from './server.js';

export interface ApiReply {
  status: number;
  headers: Headers;
  body: any;
}

/** `method path` on `base` with a token for `sub` (scope predict unless told). */
export async function api(base: string, method: string, path: string, body?: unknown, sub = 'replica-user', scope = 'predict'): Promise<ApiReply> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${testToken(scope, sub)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Polls GET /api/v1/jobs/{id} on `base` until `until(job)` holds; fails after `ms`. */
export async function pollJob(base: string, id: string, until: (job: any) => boolean, ms = 60_000, sub?: string): Promise<any> {
  const deadline = Date.now() + ms;
  let last: ApiReply | undefined;
  while (Date.now() < deadline) {
    last = await api(base, 'GET', `/api/v1/jobs/${id}`, undefined, sub).catch(() => undefined);
    if (last?.status === 200 && until(last.body.data)) return last.body.data;
    await sleep(25);
  }
  throw new Error(`job ${id} did not get there within ${ms} ms: ${JSON.stringify(last?.body).slice(0, 400)}`);
}

/** Rows of house-price, enough to keep a job running for a while (explained: two runs per chunk). */
export const houses = (n: number) => Array.from({ length: n }, (_, i) => ({
  area_sqm: 30 + (i % 400), bedrooms: i % 6, age_years: i % 150, distance_to_center_km: (i % 90) + 0.5,
}));

/** An async, explained batch of `n` house-price rows. */
export const bigJob = (n: number, callbackUrl?: string) => ({
  model: 'house-price', instances: houses(n), options: { async: true, explain: true, ...(callbackUrl ? { callback_url: callbackUrl } : {}) },
});
