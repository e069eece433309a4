/**
 * Which model versions exist and which are ready. `resolve()` is the one
 * place that turns a (name, version?) request into a ready version, or into
 * MODEL_NOT_FOUND / MODEL_NOT_READY.
 */
import { modelNotFound, modelNotReady } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ModelConfig } from './model-config.js';
import { ModelChanges, type ModelChangeKind, type ModelChangeListener } from './model-changes.js';
import { ModelVersion, type LoadOptions, type ModelState } from './model-version.js';
import { byVersion, MODEL_JSON_MISSING, scanRepository, type ModelSource } from './repository.js';

export class ModelEntry {
  readonly versions = new Map<string, ModelVersion>();
  /** A version pinned by model.json's default_version or PATCH; else the latest ready one serves. */
  defaultVersion: string | undefined;

  constructor(
    readonly name: string,
    public config: ModelConfig | undefined,
    public configError: string | undefined,
  ) {
    this.defaultVersion = config?.default_version;
  }

  /** Version strings in numeric order. */
  versionList(): string[] {
    return [...this.versions.keys()].sort(byVersion);
  }

  /** The version that answers when none is asked for: the pinned one if ready, else the latest ready. */
  serving(): ModelVersion | undefined {
    const pinned = this.defaultVersion === undefined ? undefined : this.versions.get(this.defaultVersion);
    if (pinned?.state === 'ready') return pinned;
    const list = this.versionList();
    for (let i = list.length - 1; i >= 0; i--) {
      const v = this.versions.get(list[i]!)!;
      if (v.state === 'ready') return v;
    }
    return undefined;
  }

  /** The version to describe: the serving one, else the latest known. */
  representative(): ModelVersion | undefined {
    const list = this.versionList();
    return this.serving() ?? this.versions.get(list[list.length - 1]!);
  }

  /** The model's state as one word: that of its representative version. */
  state(): ModelState {
    return this.representative()?.state ?? 'failed';
  }
}

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private readonly changes = new ModelChanges((err, change) =>
    this.logger.error({ err, model: change.model }, 'model change listener failed'),
  );

  constructor(
    readonly root: string,
    readonly options: LoadOptions,
  ) {}

  /** Reads the repository and registers every version as `loading` (synchronous, before listening). */
  discover(): void {
    for (const source of scanRepository(this.root)) this.register(source);
  }

  /** Registers a model and its versions as `loading` (discovery, or hot reload finding a new model). */
  register(source: ModelSource): ModelEntry {
    const entry = new ModelEntry(source.name, source.config, source.configError);
    for (const v of source.versions) {
      entry.versions.set(v.version, new ModelVersion(source.name, v.version, source.config, v.modelPath));
    }
    this.models.set(source.name, entry);
    if (source.configError && source.configError !== MODEL_JSON_MISSING) this.logger.error({ model: source.name, reason: source.configError }, 'model config rejected');
    if (source.versions.length === 0) this.logger.error({ model: source.name }, 'model has no version directories');
    return entry;
  }

  /** A new model without versions yet (an upload under a new name, API.md §14); its first install tells the listeners. */
  create(name: string): ModelEntry {
    const entry = new ModelEntry(name, undefined, MODEL_JSON_MISSING);
    this.models.set(name, entry);
    return entry;
  }

  private get logger(): Logger {
    return this.options.logger;
  }

  /** Loads every discovered version, one after another (a fatal StartupError stops it). */
  async loadAll(): Promise<void> {
    for (const entry of this.models.values()) {
      for (const version of entry.versions.values()) {
        if (version.state === 'loading') await version.load(this.options, entry.configError);
      }
    }
  }

  list(): ModelEntry[] {
    return [...this.models.values()];
  }

  get(name: string): ModelEntry | undefined {
    return this.models.get(name);
  }

  /** Every version of every model. */
  allVersions(): ModelVersion[] {
    return this.list().flatMap((e) => e.versionList().map((v) => e.versions.get(v)!));
  }

  /** The ready version that answers for (name, version?), or a 404 / 503 AppError. */
  resolve(name: string, version?: string): ModelVersion {
    const entry = this.models.get(name);
    if (!entry) throw modelNotFound(name);
    if (version !== undefined) {
      const v = entry.versions.get(version);
      if (!v || v.state === 'unloaded') throw modelNotFound(name, version);
      if (v.state !== 'ready') throw modelNotReady(name, version, v.state);
      return v;
    }
    const serving = entry.serving();
    if (serving) return serving;
    const latest = entry.representative();
    if (!latest || latest.state === 'unloaded') throw modelNotFound(name);
    throw modelNotReady(name, latest.version, latest.state);
  }

  /** Calls `listener` after any change to a model's versions or settings; returns the unsubscribe function. */
  onChange(listener: ModelChangeListener): () => void {
    return this.changes.subscribe(listener);
  }

  /** Tells the listeners that `versions` of `model` changed. */
  notify(model: string, kind: ModelChangeKind, versions: readonly string[]): void {
    this.changes.emit({ model, kind, versions });
  }

  /** Runs `fn` holding `name`'s lock: management and hot reload never interleave on one model. */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.changes.exclusive(name, fn);
  }

  /**
   * Puts a loaded version into service in place of any version of the same
   * number, which is retired once its runs are done. Returns whether it replaced one.
   */
  install(entry: ModelEntry, version: ModelVersion): boolean {
    const old = entry.versions.get(version.version);
    entry.versions.set(version.version, version);
    if (old) this.retire(old);
    this.notify(entry.name, old ? 'replaced' : 'added', [version.version]);
    return old !== undefined;
  }

  /** Takes one version out of service; false when there was none. */
  removeVersion(name: string, version: string): boolean {
    const entry = this.models.get(name);
    const old = entry?.versions.get(version);
    if (!entry || !old) return false;
    entry.versions.delete(version);
    this.retire(old);
    this.notify(name, 'removed', [version]);
    return true;
  }

  /** Takes a whole model out of service; false when there was none. */
  removeModel(name: string): boolean {
    const entry = this.models.get(name);
    if (!entry) return false;
    this.models.delete(name);
    const versions = entry.versionList();
    for (const v of entry.versions.values()) this.retire(v);
    this.notify(name, 'removed', versions);
    return true;
  }

  /** Unloads in the background: requests in flight on it finish first (idle-release.ts). */
  private retire(version: ModelVersion): void {
    version.unload().catch((err: unknown) =>
      this.logger.error({ err, model: version.name, version: version.version }, 'releasing a retired version failed'),
    );
  }

  /** Releases every session (shutdown). */
  async close(): Promise<void> {
    await Promise.all(this.allVersions().map((v) => v.unload().catch(() => undefined)));
  }
}
