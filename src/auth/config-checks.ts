/**
 * Start-up checks of the security settings (API.md §7, §11), run by
 * loadConfig once the schema passed. Each problem names its variable. With
 * NODE_ENV=production the service must have authentication configured and
 * exact CORS origins: no `*`.
 */
import type { Config } from '../config-types.js';
import { loadApiKeys } from './api-keys.js';
import { KeyConfigError, loadJwtKeys } from './jwt-keys.js';
import { authConfigured } from './setup.js';

/** Whether `value` is one exact origin (`scheme://host[:port]`, nothing more). */
function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** Every problem with the security settings, as `VARIABLE: why` lines. */
export function securityProblems(config: Config): string[] {
  const problems: string[] = [];
  const check = (load: () => unknown) => {
    try {
      load();
    } catch (err) {
      if (!(err instanceof KeyConfigError)) throw err;
      problems.push(err.message);
    }
  };
  check(() => loadJwtKeys(config.auth));
  const { apiKeysFile } = config.auth;
  if (apiKeysFile !== undefined) check(() => loadApiKeys(apiKeysFile));
  for (const origin of config.corsOrigins) {
    if (origin === '*') {
      if (config.production) problems.push("CORS_ORIGINS: '*' is refused with NODE_ENV=production; list the exact origins");
    } else if (!isExactOrigin(origin)) {
      problems.push(`CORS_ORIGINS: ${JSON.stringify(origin)} is not an exact origin like https://app.example.com (no path, no trailing slash)`);
    }
  }
  if (config.production && !authConfigured(config.auth)) {
    problems.push('AUTH_JWT_SECRET: NODE_ENV=production needs authentication; set AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY, AUTH_JWT_PUBLIC_KEY_FILE or API_KEYS_FILE');
  }
  return problems;
}
