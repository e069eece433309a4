/**
 * Group commit: items saved while one callback and the promise jobs it set
 * off run are written together, in one transaction, as soon as they have all
 * run (process.nextTick fires after the microtask queue drains), and every
 * caller's promise settles once that transaction has committed. A dynamic
 * batch answers all its requests in one such drain, so their records share a
 * commit; a lone request's record is written without waiting for another
 * turn of the event loop (issue 12: a setImmediate here cost every request
 * at c=1 one more turn). A record is
 * still written before its response is sent (API.md §11), but concurrent
 * predictions (a dynamic batch answers tens of them at once) share one
 * commit instead of paying one each: the per-prediction commit was the
 * largest single cost of POST /predict under load (docs/performance.md).
 */
export interface GroupCommit<T> {
  /** Queues an item; resolves once it is committed, rejects if its transaction failed. */
  save(item: T): Promise<void>;
  /** Writes whatever is queued now, synchronously (before closing the store). */
  flush(): void;
}

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * What both group commits share: saved items wait until `flush` runs on the
 * next tick (scheduled once however many are saved); `take` hands flush
 * everything waiting and starts a new group.
 */
function tickQueue<T>(flush: () => unknown) {
  let queue: Array<Waiting<T>> = [];
  let scheduled = false;
  return {
    save(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          process.nextTick(flush);
        }
      });
    },
    take(): Array<Waiting<T>> {
      scheduled = false;
      const batch = queue;
      queue = [];
      return batch;
    },
  };
}

/** A group commit over `writeAll`, which must write every item or throw (one transaction). */
export function groupCommit<T>(writeAll: (items: T[]) => void): GroupCommit<T> {
  const queue = tickQueue<T>(flush);

  function flush(): void {
    const batch = queue.take();
    if (batch.length === 0) return;
    try {
      writeAll(batch.map((w) => w.item));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // One bad item must not fail the others: each goes again in a transaction of its own.
      for (const w of batch) writeOne(w);
      return;
    }
    for (const w of batch) w.resolve();
  }

  function writeOne(w: Waiting<T>): void {
    try {
      writeAll([w.item]);
    } catch (err) {
      return w.reject(err);
    }
    w.resolve();
  }

  return { save: queue.save, flush };
}

/** An async group commit: flushing returns once whatever was queued is written (or failed). */
export interface AsyncGroupCommit<T> {
  save(item: T): Promise<void>;
  flush(): Promise<void>;
}

/**
 * The same group commit over an asynchronous `writeAll` (one multi-row
 * INSERT on PostgreSQL): the items of one microtask drain go in one
 * statement while earlier ones may still be in flight. A failed group is
 * retried item by item, unless `shared(err)` says the failure is not the
 * items' own (the database is down): then all of them fail at once.
 */
export function asyncGroupCommit<T>(writeAll: (items: T[]) => Promise<void>, shared: (err: unknown) => boolean): AsyncGroupCommit<T> {
  const queue = tickQueue<T>(flushNow);
  const inFlight = new Set<Promise<void>>();

  async function write(batch: Array<Waiting<T>>): Promise<void> {
    try {
      await writeAll(batch.map((w) => w.item));
    } catch (err) {
      if (batch.length === 1 || shared(err)) return batch.forEach((w) => w.reject(err));
      await Promise.all(batch.map((w) => write([w])));
      return;
    }
    for (const w of batch) w.resolve();
  }

  function flushNow(): Promise<void> {
    const batch = queue.take();
    if (batch.length === 0) return Promise.resolve();
    const done = write(batch);
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
    return done;
  }

  return {
    save: queue.save,
    async flush() {
      await flushNow();
      await Promise.all(inFlight);
    },
  };
}
