/**
 * Hot reload: the model repository is polled (polling works on every volume
 * type, where fs.watch misses changes on network and overlay mounts). What
 * changed is acted on once it has looked the same on two polls in a row, so
 * that a file still being copied is never loaded half-written. Then, holding
 * the model's lock (as management does):
 *   - a new version directory, or a changed model.onnx: load, check, warm, and
 *     only then swap in; a broken file is reported (failed state + log) and
 *     never displaces a ready version;
 *   - a new model directory: registered and loaded;
 *   - a changed model.json: its serving settings applied (threshold,
 *     confidence, batching, default version); other changes need a restart;
 *   - a removed version or model directory: taken out of service.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import { applySettings } from './model-settings.js';
import { checkModelConfig, type ModelConfig } from './model-config.js';
import { ModelVersion } from './model-version.js';
import type { ModelRegistry } from './registry.js';
import { fileStamp } from './repository-writer.js';
import { MODEL_JSON_MISSING, MODEL_NAME, readModelConfig, scanModel, scanVersions } from './repository.js';

const isDir = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** The model.json members that change how a model reads its tensors: changing them needs a restart. */
const SHAPE_KEYS = ['task', 'input', 'outputs', 'features', 'labels', 'positive_label'] as const;
/** The members PATCH changes, applied without a reload. */
const SETTINGS_KEYS = ['threshold', 'confidence', 'batching', 'default_version'] as const;

/** JSON with sorted keys: equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export class RepositoryWatcher {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** What each path looked like on the previous poll, to act only on what is stable. */
  private seen = new Map<string, string>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Records what the discovered versions were loaded from (call before loading them). */
  async baseline(): Promise<void> {
    for (const v of this.registry.allVersions()) v.stamp ??= await fileStamp(v.modelPath);
  }

  start(): void {
    if (this.intervalMs === 0 || this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** One pass over the repository (the timer calls it; tests may too). */
  poll(): Promise<void> {
    this.polling ??= this.scan()
      .catch((err: unknown) => this.logger.error({ err }, 'hot reload: scanning the model repository failed'))
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** True when `key` looks like `stamp` for the second poll in a row. */
  private stable(key: string, stamp: string, next: Map<string, string>): boolean {
    next.set(key, stamp);
    return this.seen.get(key) === stamp;
  }

  private async scan(): Promise<void> {
    const root = this.registry.root;
    if (!isDir(root)) return;
    const next = new Map<string, string>();
    const onDisk = readdirSync(root).filter((name) => MODEL_NAME.test(name) && isDir(join(root, name)));
    for (const name of onDisk) {
      const dir = join(root, name);
      if (!this.registry.get(name)) {
        const stamps = [await fileStamp(join(dir, 'model.json'))];
        for (const v of scanVersions(dir)) stamps.push(`${v.version}=${await fileStamp(v.modelPath)}`);
        if (this.stable(`model:${name}`, stamps.join(','), next)) await this.registry.exclusive(name, () => this.addModel(name));
        continue;
      }
      const configStamp = await fileStamp(join(dir, 'model.json'));
      if (this.stable(`config:${name}`, configStamp, next)) await this.registry.exclusive(name, async () => this.applyConfig(name));
      for (const { version, modelPath } of scanVersions(dir)) {
        const stamp = await fileStamp(modelPath);
        if (this.registry.get(name)?.versions.get(version)?.stamp === stamp) continue;
        if (this.stable(`version:${name}/${version}`, stamp, next)) {
          await this.registry.exclusive(name, () => this.loadVersion(name, version, modelPath));
        }
      }
    }
    for (const entry of this.registry.list()) {
      await this.registry.exclusive(entry.name, async () => this.dropRemoved(entry.name));
    }
    this.seen = next;
  }

  private async addModel(name: string): Promise<void> {
    if (this.registry.get(name)) return;
    const entry = this.registry.register(scanModel(this.registry.root, name));
    for (const v of entry.versions.values()) {
      v.stamp = await fileStamp(v.modelPath);
      await v.load(this.registry.options, entry.configError).catch((err: unknown) => this.logger.error({ err }, 'hot reload: load failed'));
    }
    this.logger.info({ model: name, versions: entry.versionList() }, 'hot reload: new model');
    this.registry.notify(name, 'added', entry.versionList());
  }

  /** Loads a new or changed version from disk and swaps it in if it is ready (or if nothing ready would be displaced). */
  private async loadVersion(name: string, version: string, modelPath: string): Promise<void> {
    const entry = this.registry.get(name);
    const stamp = await fileStamp(modelPath);
    if (!entry || !isDir(join(this.registry.root, name, version)) || entry.versions.get(version)?.stamp === stamp) return;
    const candidate = new ModelVersion(name, version, entry.config, modelPath);
    candidate.stamp = stamp;
    try {
      await candidate.load(this.registry.options, entry.configError);
    } catch (err) {
      candidate.state = 'failed';
      candidate.reason = 'the model could not be loaded';
      this.logger.error({ err, model: name, version }, 'hot reload: load failed');
    }
    const old = entry.versions.get(version);
    if (candidate.state !== 'ready' && old?.state === 'ready') {
      // Remember the broken file so that it is not retried until it changes again.
      old.stamp = stamp;
      this.logger.error({ model: name, version, reason: candidate.reason }, 'hot reload: changed model.onnx refused; the loaded one keeps serving');
      return;
    }
    this.registry.install(entry, candidate);
    const log = candidate.state === 'ready' ? this.logger.info.bind(this.logger) : this.logger.error.bind(this.logger);
    log({ model: name, version, state: candidate.state, reason: candidate.reason }, `hot reload: version ${old ? 'reloaded' : 'added'}`);
  }

  /** Applies a changed model.json's serving settings. */
  private applyConfig(name: string): void {
    const entry = this.registry.get(name);
    const { config, error } = readModelConfig(join(this.registry.root, name));
    if (!entry || (!entry.config && error === MODEL_JSON_MISSING)) return;
    if (!config || error || checkModelConfig(config).length > 0) {
      this.logger.error({ model: name, reason: error }, 'hot reload: changed model.json refused; the loaded one stays');
      return;
    }
    // A model served from its derived configuration may get a model.json (API.md §14).
    const current = entry.config ?? ({} as ModelConfig);
    const differs = (k: keyof ModelConfig) => canonical(config[k]) !== canonical(current[k]);
    if (!SETTINGS_KEYS.some(differs)) return;
    if (SHAPE_KEYS.some(differs)) {
      this.logger.warn({ model: name }, 'hot reload: model.json changed its inputs or outputs; restart to apply (serving settings applied)');
    }
    const settings: ModelConfig = { ...current };
    for (const key of SETTINGS_KEYS) {
      if (config[key] === undefined) delete settings[key];
      else (settings as unknown as Record<string, unknown>)[key] = config[key];
    }
    applySettings(entry, settings);
    this.logger.info({ model: name }, 'hot reload: model settings changed');
    this.registry.notify(name, 'settings', entry.versionList());
  }

  /** Takes out of service what is no longer on disk. */
  private dropRemoved(name: string): void {
    const dir = join(this.registry.root, name);
    if (!isDir(dir)) {
      if (this.registry.removeModel(name)) this.logger.warn({ model: name }, 'hot reload: model directory removed; model unloaded');
      return;
    }
    for (const version of this.registry.get(name)?.versionList() ?? []) {
      if (!isDir(join(dir, version)) && this.registry.removeVersion(name, version)) {
        this.logger.warn({ model: name, version }, 'hot reload: version directory removed; version unloaded');
      }
    }
  }
}
