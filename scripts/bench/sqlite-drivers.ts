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
/** The same insert with positional parameters (the row's values in column order). */
const INSERT_POSITIONAL = `INSERT INTO predictions (id, owner, created_at, model, model_version, features, options, result)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

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

function nodeSqlite(file: string, positional = false): Driver {
  const db = new DatabaseSync(file);
  // better-sqlite3 is compiled with a 16 MB page cache, Node's SQLite with SQLite's 2 MB default: the same for both.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16000;');
  db.exec(SCHEMA);
  const [begin, commit, insert, get] = ['BEGIN', 'COMMIT', positional ? INSERT_POSITIONAL : INSERT, SELECT].map((sql) => db.prepare(sql));
  return {
    begin: () => begin!.run(), commit: () => commit!.run(),
    insert: positional ? (row) => insert!.run(...Object.values(row)) : (row) => insert!.run(row),
    get: (id) => get!.get(id) as Row | undefined, close: () => db.close(),
  };
}

const DRIVERS = {
  'better-sqlite3': (file: string) => betterSqlite3(file),
  'node:sqlite': (file: string) => nodeSqlite(file),
  // Named parameters cost node:sqlite a lookup per key: the same with `?` placeholders.
  'node:sqlite, ?': (file: string) => nodeSqlite(file, true),
} as const;
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

/** Wall-clock rate and CPU time (user + system, this process) per operation of one cell. */
interface Rate { perSecond: number; cpuUs: number }

/** Runs `step` (which does `n` operations) for SECONDS. CPU time is what a busy shared machine leaves least distorted. */
function measure(n: number, step: () => void): Rate {
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  const cpu = process.cpuUsage();
  let ops = 0;
  while (performance.now() < end) {
    step();
    ops += n;
  }
  const used = process.cpuUsage(cpu);
  return { perSecond: ops / ((performance.now() - start) / 1000), cpuUs: (used.user + used.system) / ops };
}

/** Records inserted `perCommit` to a transaction. */
function inserts(db: Driver, perCommit: number): Rate {
  return measure(perCommit, () => {
    db.begin();
    for (let i = 0; i < perCommit; i++) db.insert(record());
    db.commit();
  });
}

/** Point reads by random existing id, each row's JSON parsed as getPrediction does. */
function reads(db: Driver, ids: string[]): Rate {
  return measure(100, () => {
    for (let i = 0; i < 100; i++) {
      const row = db.get(ids[(Math.random() * ids.length) | 0]!)!;
      JSON.parse(row.features as string); JSON.parse(row.options as string); JSON.parse(row.result as string);
    }
  });
}

interface Round { commit1: Rate; commit24: Rate; read: Rate }

function round(name: DriverName, dir: string, i: number): Round {
  const db = DRIVERS[name](join(dir, `${name.replace(/\W+/g, '-')}-${i}.sqlite`));
  try {
    inserts(db, 24); // warm-up: JIT, page cache
    const commit1 = inserts(db, 1);
    const commit24 = inserts(db, 24);
    const ids: string[] = [];
    db.begin();
    for (let k = 0; k < READ_TABLE_ROWS; k++) {
      const r = record();
      db.insert(r);
      if (k % 10 === 0) ids.push(r.id as string);
    }
    db.commit();
    reads(db, ids); // warm-up
    return { commit1, commit24, read: reads(db, ids) };
  } finally {
    db.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'sqlite-drivers-'));
try {
  const rounds = Object.fromEntries(Object.keys(DRIVERS).map((name) => [name, [] as Round[]])) as Record<DriverName, Round[]>;
  for (let i = 0; i < ROUNDS; i++) {
    for (const name of Object.keys(DRIVERS) as DriverName[]) rounds[name].push(round(name, dir, i));
  }
  process.stdout.write(`Node ${process.version}; ${SECONDS} s per cell, median of ${ROUNDS} alternating rounds; WAL, synchronous=NORMAL\n`);
  process.stdout.write('CPU µs per record or read (records/s or reads/s, wall clock)\n');
  process.stdout.write(`driver           1 row per commit     24 rows per commit   point read (${READ_TABLE_ROWS.toLocaleString('en-US')} rows)\n`);
  for (const name of Object.keys(DRIVERS) as DriverName[]) {
    const cells = (['commit1', 'commit24', 'read'] as const).map((cell) => {
      const cpu = median(rounds[name].map((r) => r[cell].cpuUs));
      const rate = median(rounds[name].map((r) => r[cell].perSecond));
      return `${cpu.toFixed(1).padStart(6)} (${Math.round(rate).toLocaleString('en-US')}/s)`.padEnd(20);
    });
    process.stdout.write(`${name.padEnd(16)} ${cells.join(' ')}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
