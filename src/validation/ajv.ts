/**
 * The one Ajv instance and the schema files it compiles. Every schema is
 * compiled once, at start (STYLE.md "Compile once"); nothing is compiled or
 * read from disk on the request path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';

/** The project's schemas/ folder: two levels up from src/validation or dist/validation. */
export const SCHEMAS_DIR = new URL('../../schemas/', import.meta.url);

/**
 * Strict validation (API.md §1): no coercion, no defaults injected, every
 * problem reported, numbers finite. `verbose` keeps the offending value so a
 * detail can echo it as `received`.
 */
export const ajv = new Ajv({
  allErrors: true,
  verbose: true,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  strictNumbers: true,
  strict: true,
  allowUnionTypes: true,
});

/** Reads a schema file from schemas/ (start-up only). */
export function readSchema(file: string): AnySchema {
  return JSON.parse(readFileSync(new URL(file, SCHEMAS_DIR), 'utf8')) as AnySchema;
}

// Every schema file is registered under its $id (its file name), so that
// schemas can $ref each other and the OpenAPI document can reuse them.
for (const file of readdirSync(SCHEMAS_DIR)) {
  if (file.endsWith('.schema.json')) ajv.addSchema(readSchema(file));
}

/** The validator of a schema file from schemas/, compiled on first use (at start) and kept. */
export function schemaValidator<T = unknown>(file: string): ValidateFunction<T> {
  const validate = ajv.getSchema<T>(file);
  if (!validate) throw new Error(`No schema ${file} in schemas/`);
  return validate;
}
