/** Where the process is in its life: health reads it, main.ts moves it along. */
export class Lifecycle {
  readonly startedAt = Date.now();
  /** True once every model has been given its chance to load. */
  started = false;
  /** True from SIGTERM/SIGINT on. */
  draining = false;

  uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt) / 100) / 10;
  }
}
