/** The environment variable names the service's config schema knows (schemas/service-config.schema.json). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './process.js';

export const CONFIG_NAMES: ReadonlySet<string> = new Set(Object.keys(
  (JSON.parse(readFileSync(join(ROOT, 'schemas/service-config.schema.json'), 'utf8')) as { properties: object }).properties,
));
