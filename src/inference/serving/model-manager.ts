/**
 * Model management (API.md §3, §11), protocol-neutral: upload a version,
 * change serving settings, delete a version or a model. The repository on
 * disk stays the truth: every change is written there (atomically) before it
 * takes effect, so it survives a restart and reaches other replicas that
 * share the volume through hot reload. An upload is loaded, its configuration
 * derived (with the model's model.json, when it has one, which it must fit)
 * and warmed from the uploaded bytes first; a refused one changes nothing. A
 * new name creates the model (API.md §14 Management).
 */
import { join } from 'node:path';
import { AppError, modelNotFound, validationError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { schemaValidator } from '../../validation/ajv.js';
import { DetailCollector } from '../../validation/details.js';
import { checkModelConfig, type ModelConfig } from './model-config.js';
import { ModelVersion } from './model-version.js';
import { MODEL_JSON_MISSING } from './repository.js';
import type { ModelEntry, ModelRegistry } from './registry.js';
import { applySettings, patchedConfig, settingsProblems, type ModelSettingsPatch } from './model-settings.js';
import { fileStamp, removeDirectory, writeModelConfig, writeVersion } from './repository-writer.js';

const refused = (message: string, field = ''): AppError =>
  new AppError('VALIDATION_ERROR', `The uploaded model was refused: ${message}`, { details: [{ field, message }] });


export class ModelManager {
  private readonly validatePatch = schemaValidator<ModelSettingsPatch>('model-patch-request.schema.json');

  constructor(
    private readonly registry: ModelRegistry,
    private readonly logger: Logger,
  ) {}

  private entry(name: string): ModelEntry {
    const entry = this.registry.get(name);
    if (!entry) throw modelNotFound(name);
    return entry;
  }

  /** The model's model.json; `{}` when it has none (API.md §14: every member optional). */
  private configOf(entry: ModelEntry | undefined): ModelConfig | undefined {
    if (entry?.configError !== undefined && entry.configError !== MODEL_JSON_MISSING) {
      throw new AppError('CONFLICT', `Model '${entry.name}' has no valid model.json (${entry.configError}); fix it in the repository first`);
    }
    return entry?.config;
  }

  /** The repository could not be written (read-only volume, permissions): logged here, masked for the caller. */
  private unwritable(err: unknown, model: string): AppError {
    this.logger.error({ err, model }, 'the model repository could not be written');
    return new AppError('INTERNAL_ERROR', 'The model repository could not be written; nothing was changed', { cause: err });
  }

  private dir(name: string): string {
    return join(this.registry.root, name);
  }

  /**
   * PUT …/versions/{version}: load and warm `bytes`, store them, swap them
   * in; a new name creates the model. `created` when the version is new.
   */
  async putVersion(name: string, version: string, bytes: Uint8Array): Promise<{ created: boolean; version: ModelVersion }> {
    return this.registry.exclusive(name, async () => {
      const existing = this.registry.get(name);
      const config = this.configOf(existing);
      if (bytes.length === 0) throw refused('the file is empty');
      const candidate = new ModelVersion(name, version, config, join(this.dir(name), version, 'model.onnx'));
      await candidate.load(this.registry.options, undefined, bytes);
      if (candidate.state !== 'ready') throw refused(candidate.reason ?? 'it could not be loaded');
      try {
        await writeVersion(this.dir(name), version, bytes);
      } catch (err) {
        await candidate.unload();
        throw this.unwritable(err, name);
      }
      candidate.stamp = await fileStamp(candidate.modelPath);
      const entry = existing ?? this.registry.create(name);
      const replaced = this.registry.install(entry, candidate);
      this.logger.info({ model: name, version, bytes: bytes.length, replaced }, 'model version uploaded and serving');
      return { created: !replaced, version: candidate };
    });
  }

  /** PATCH /models/{name}: validates the body, writes model.json, applies it to every version. */
  async patchModel(name: string, body: unknown): Promise<ModelEntry> {
    const entry = this.entry(name);
    const details = new DetailCollector();
    if (!this.validatePatch(body)) {
      details.addAjv(this.validatePatch.errors);
      throw validationError(details.details, details.total);
    }
    return this.registry.exclusive(name, async () => {
      // Without model.json, the one written holds only the patched members (the graph says the rest).
      // (ModelConfig still types today's complete form for the /api/v1 code that reads it; see model-config.ts.)
      const config = this.configOf(entry) ?? ({} as ModelConfig);
      const patch = body as ModelSettingsPatch;
      for (const d of settingsProblems(entry, patch)) details.add(d);
      if (!details.empty) throw validationError(details.details, details.total);

      const next = patchedConfig(config, patch);
      // What the schema and the rules above cannot see (a guard: model.json must stay valid).
      const problems = checkModelConfig(next);
      if (problems.length > 0) throw validationError(problems.map((p) => ({ field: '', message: p })));

      await this.saveConfig(name, next);
      this.applyConfig(entry, next);
      this.logger.info({ model: name, settings: patch }, 'model settings changed');
      return entry;
    });
  }

  private async saveConfig(name: string, config: ModelConfig): Promise<void> {
    try {
      await writeModelConfig(this.dir(name), config);
    } catch (err) {
      throw this.unwritable(err, name);
    }
  }

  private applyConfig(entry: ModelEntry, config: ModelConfig): void {
    applySettings(entry, config);
    this.registry.notify(entry.name, 'settings', entry.versionList());
  }

  /** DELETE …/versions/{version}: removes the files, then takes the version out of service. */
  async deleteVersion(name: string, version: string): Promise<void> {
    await this.registry.exclusive(name, async () => {
      const entry = this.entry(name);
      if (!entry.versions.has(version)) throw modelNotFound(name, version);
      // A pin on a deleted version would outlive it in model.json.
      if (entry.config?.default_version === version) {
        const next = structuredClone(entry.config);
        delete next.default_version;
        await this.saveConfig(name, next);
        this.applyConfig(entry, next);
      }
      try {
        await removeDirectory(join(this.dir(name), version));
      } catch (err) {
        throw this.unwritable(err, name);
      }
      this.registry.removeVersion(name, version);
      this.logger.info({ model: name, version }, 'model version deleted');
    });
  }

  /** DELETE /models/{name}: removes the model's directory, then the model. */
  async deleteModel(name: string): Promise<void> {
    await this.registry.exclusive(name, async () => {
      this.entry(name);
      try {
        await removeDirectory(this.dir(name));
      } catch (err) {
        throw this.unwritable(err, name);
      }
      this.registry.removeModel(name);
      this.logger.info({ model: name }, 'model deleted');
    });
  }
}
