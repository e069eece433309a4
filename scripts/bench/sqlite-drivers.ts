/**
 * The embedded store's work on both SQLite drivers of Node 24: better-sqlite3
 * (a native addon, compiled at `npm ci`) and the built-in node:sqlite
 * (issue 18). Same file settings as src/store/sqlite-store.ts (WAL,
 * synchronous=NORMAL), same table and statements, records serialised the same
 * way:
 *
 * - inserts in group-commit transactions of 1 row (a lone prediction) and of
 *   24 rows (a turn of the event loop under load), BEGIN … COMMIT around them;
 * - point reads by id (GET /predictions/{id}: one SELECT, three JSON.parse).
 *
 * Rounds alternate between the drivers, each on a fresh file, and the median
 * round is reported, so that a neighbour's load on a shared machine falls on
 * both alike.
 *
 *   node --import tsx scripts/bench/sqlite-drivers.ts [seconds per cell=2] [rounds=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { newId } from '../../src/ids.js';

const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[3] ?? 3);
/** Rows in the table before the reads (the reads pick among them at random). */
const READ_TABLE_ROWS = 100_000;

const SCHEMA = `
CREATE TABLE predictions (id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL, model TEXT NOT NULL,
  model_version TEXT NOT NULL, features TEXT NOT NULL, options TEXT NOT NULL, result TEXT NOT NULL);
CREATE INDEX predictions_created ON predictions(created_at);`;
const INSERT = `INSERT INTO predictions (id, owner, created_at, model, model_version, features, options, result)
  VALUES (@id, @owner, @created_at, @model, @model_version, @features, @options, @result)`;
const SELECT = 'SELECT * FROM predictions WHERE id = ?';

type Row = Record<string, string | number>;

/** What both drivers offer the bench: prepared BEGIN, COMMIT, insert and get (better-sqlite3's db.transaction prepares its BEGIN and COMMIT too). */
interface Driver {
  begin(): void;
  commit(): void;
  insert(row: Row): void;
  get(id: string): Row | undefined;
  close(): void;
}

function betterSqlite3(file: string): Driver {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const [begin, commit, insert, get] = ['BEGIN', 'COMMIT', INSERT, SELECT].map((sql) => db.prepare(sql));
  return {
    begin: () => begin!.run(), commit: () => commit!.run(), insert: (row) => insert!.run(row),
    get: (id) => get!.get(id) as Row | undefined, close: () => db.close(),
  };
}

function nodeSqlite(file: string): Driver {
  const db = new DatabaseSync(file);
  // better-sqlite3 is compiled with a 16 MB page cache, Node's SQLite with SQLite's 2 MB default: the same for both.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16000;');
  db.exec(SCHEMA);
  const [begin, commit, insert, get] = ['BEGIN', 'COMMIT', INSERT, SELECT].map((sql) => db.prepare(sql));
  return {
    begin: () => begin!.run(), commit: () => commit!.run(), insert: (row) => insert!.run(row),
    get: (id) => get!.get(id) as Row | undefined, close: () => db.close(),
  };
}

const DRIVERS = { 'better-sqlite3': betterSqlite3, 'node:sqlite': nodeSqlite } as const;
type DriverName = keyof typeof DRIVERS;

/** A record as the store writes it: its JSON columns serialised per insert. */
function record(): Row {
  return {
    id: newId('pred'), owner: 'sub:bench', created_at: Date.now(), model: 'loan-approval', model_version: '2',
    features: JSON.stringify({ age: 35, income: 55000, credit_score: 720, employment_years: 8, loan_amount: 25000 }),
    options: JSON.stringify({}),
    result: JSON.stringify({ prediction: 'approved', probability: 0.91, probabilities: { approved: 0.91, denied: 0.09 }, confidence: 'high' }),
  };
}

/** Records per second, inserted `perCommit` to a transaction, for SECONDS. */
function insertRate(db: Driver, perCommit: number): number {
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end) {
    db.begin();
    for (let i = 0; i < perCommit; i++) db.insert(record());
    db.commit();
    n += perCommit;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Point reads per second by random existing id, each row's JSON parsed as getPrediction does. */
function readRate(db: Driver, ids: string[]): number {
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) {
      const row = db.get(ids[(Math.random() * ids.length) | 0]!)!;
      JSON.parse(row.features as string); JSON.parse(row.options as string); JSON.parse(row.result as string);
    }
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

interface Round { commit1: number; commit24: number; read: number }

function round(name: DriverName, dir: string, i: number): Round {
  const db = DRIVERS[name](join(dir, `${name.replace(':', '-')}-${i}.sqlite`));
  try {
    insertRate(db, 24); // warm-up: JIT, page cache
    const commit1 = insertRate(db, 1);
    const commit24 = insertRate(db, 24);
    const ids: string[] = [];
    db.begin();
    for (let k = 0; k < READ_TABLE_ROWS; k++) {
      const r = record();
      db.insert(r);
      if (k % 10 === 0) ids.push(r.id as string);
    }
    db.commit();
    readRate(db, ids); // warm-up
    return { commit1, commit24, read: readRate(db, ids) };
  } finally {
    db.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(9);

const dir = mkdtempSync(join(tmpdir(), 'sqlite-drivers-'));
try {
  const rounds: Record<DriverName, Round[]> = { 'better-sqlite3': [], 'node:sqlite': [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const name of Object.keys(DRIVERS) as DriverName[]) rounds[name].push(round(name, dir, i));
  }
  process.stdout.write(`Node ${process.version}; ${SECONDS} s per cell, median of ${ROUNDS} alternating rounds; WAL, synchronous=NORMAL\n`);
  process.stdout.write(`driver           1 row/commit rec/s   24 rows/commit rec/s   point reads/s (${READ_TABLE_ROWS.toLocaleString('en-US')} rows)\n`);
  for (const name of Object.keys(DRIVERS) as DriverName[]) {
    const r = rounds[name];
    process.stdout.write(`${name.padEnd(16)} ${fmt(median(r.map((x) => x.commit1)))}            ${fmt(median(r.map((x) => x.commit24)))}            ${fmt(median(r.map((x) => x.read)))}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
