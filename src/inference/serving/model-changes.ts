/**
 * Change notices and per-model locks for the registry. Whatever caches
 * something per model (the prediction cache: "any change to a model empties
 * its cache entries", API.md §11) subscribes with `registry.onChange()`.
 * Management and hot reload take a model's lock, so that their
 * load-then-swap steps on one model never interleave.
 */

/**
 * added: a version (or a whole model) came into service; replaced: a version
 * was swapped for a new load of itself; removed: versions (or the model) left
 * service; settings: threshold, confidence, batching or default version changed.
 */
export type ModelChangeKind = 'added' | 'replaced' | 'removed' | 'settings';

export interface ModelChange {
  model: string;
  /** The versions concerned (every version of the model for `settings` and a removed model). */
  versions: readonly string[];
  kind: ModelChangeKind;
}

export type ModelChangeListener = (change: ModelChange) => void;

export class ModelChanges {
  private readonly listeners = new Set<ModelChangeListener>();
  private readonly locks = new Map<string, Promise<void>>();

  constructor(private readonly onListenerError: (err: unknown, change: ModelChange) => void) {}

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: ModelChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener; a failing listener is reported and never stops the change. */
  emit(change: ModelChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.onListenerError(err, change);
      }
    }
  }

  /** Runs `fn` once every earlier `exclusive(key, …)` call has finished. */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    }
  }
}
