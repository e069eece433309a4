/**
 * The 401 and 403 answers of API.md §1, with their RFC 6750 challenges:
 * `WWW-Authenticate: Bearer realm="api"`, plus `error="invalid_token"` when a
 * credential was sent, or `error="insufficient_scope", scope="<needed>"`.
 * Messages are ours: a library's reason for refusing a token never reaches
 * the caller.
 */
import { AppError } from '../errors.js';
import type { Scope } from '../http/guard.js';

const REALM = 'Bearer realm="api"';

/** 401 without credentials: tells the client which scheme to use. */
export const missingCredentials = (): AppError =>
  new AppError('UNAUTHORIZED', 'Authentication required: send Authorization: Bearer <token> or X-API-Key: <key>', {
    headers: { 'WWW-Authenticate': REALM },
  });

/** 401 for a credential that was sent but is malformed, expired or not trusted. */
export const invalidCredentials = (message: string): AppError =>
  new AppError('UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': `${REALM}, error="invalid_token"` } });

/** 403 for a valid credential without the scope the route needs. */
export const insufficientScope = (scope: Scope): AppError =>
  new AppError('FORBIDDEN', `This route needs the scope '${scope}'`, {
    headers: { 'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"` },
  });
