/**
 * The connection pool to PostgreSQL (node-postgres). Every wait is bounded
 * (API.md §12: never a hang while the database is down): getting a
 * connection, a statement on the server, a reply on the client.
 */
import pg from 'pg';

/** Bounds on every wait, in ms; short enough that a caller gets its 503 within 10 s. */
export const TIMEOUTS = { connectMs: 2_000, statementMs: 5_000, queryMs: 6_000, idleMs: 10_000 } as const;

/** BIGINT columns (epoch ms) read as numbers: they stay far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Options for a pool or a single client on `url`. */
export function connectionOptions(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: TIMEOUTS.connectMs,
    statement_timeout: TIMEOUTS.statementMs,
    query_timeout: TIMEOUTS.queryMs,
    application_name: 'onnx-serving',
    keepAlive: true,
    types,
  };
}

/** A pool of at most `size` connections; idle ones close after a while. */
export function createPool(url: string, size: number, onError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({ ...connectionOptions(url), max: size, idleTimeoutMillis: TIMEOUTS.idleMs });
  // An idle connection cut by the server (restart, outage) is reported here; unhandled, it would end the process.
  pool.on('error', onError);
  return pool;
}

/** SQLSTATE classes of mistakes in our own statements or data: a bug, not an outage. */
const OWN_FAULT = /^(22|23|42)/;

/**
 * Whether `err` says the database cannot be used now (refused, cut, timed
 * out, shutting down, out of connections) rather than that a statement is
 * wrong. Anything not known to be our own fault counts as unavailable.
 */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return !(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && OWN_FAULT.test(code));
}

/** `host:port/db` of a URL, for logs: never its user or password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
