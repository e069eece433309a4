/** A real local HTTP receiver for webhooks: records every request and answers as told. */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as the signature covers it. */
  raw: Buffer;
}

/** What to do with the n-th request: answer a status, or hang (never answer). */
export type Answer = number | 'hang' | ((res: ServerResponse) => void);

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers for the next requests, in order; when they run out, 200. */
  answers: Answer[];
  /** Resolves once `n` requests have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const answers: Answer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks) });
      waiters.splice(0).forEach((w) => w());
      const answer = answers.shift() ?? 200;
      if (answer === 'hang') return;
      if (typeof answer === 'function') return answer(res);
      res.writeHead(answer).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answers,
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`the receiver got ${received.length} requests, not ${n}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 50))]);
      }
      return received;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
