/** Polls a URL every 100 ms while something else happens, recording how long each answer took (API.md §15: within 1 s). */

export interface LivePoller {
  /** Stops polling; resolves with every poll's latency (ms) and status. */
  stop(): Promise<Array<{ ms: number; status: number }>>;
}

/** Starts polling `url` (GET) every `everyMs`, each poll waiting for its answer before the next is due. */
export function pollEvery(url: string, everyMs = 100, init: RequestInit = {}): LivePoller {
  const polls: Array<{ ms: number; status: number }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      let status = 0;
      try {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = -1;
      }
      const ms = performance.now() - started;
      polls.push({ ms, status });
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - ms)));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return polls;
    },
  };
}

/** The slowest of the polls, and a message listing them, for assertions. */
export function slowest(polls: Array<{ ms: number; status: number }>): { max: number; all: string } {
  return { max: Math.max(...polls.map((p) => p.ms)), all: polls.map((p) => `${p.status}:${Math.round(p.ms)}`).join(' ') };
}
