/**
 * Opens the database: a PostgreSQL server when a URL is given, else PGlite in the data dir (or
 * in memory for tests). Both speak the same SQL, so one set of migrations and queries serves both.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { unavailableAsDomainError } from './errors.ts';
import { migrateToLatest } from './migrate.ts';
import { PgliteDialect } from './pglite-dialect.ts';
import { preparable } from './prepared.ts';
import type { Database } from './schema.ts';

/** The engine under a handle: a PostgreSQL server, or PGlite embedded in this process. */
export type Engine = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** The PostgreSQL pool's connections now (the pool metrics of SPEC §8); null on PGlite, which has none. */
  poolStats(): PoolStats | null;
  /**
   * PGlite only (null on PostgreSQL, whose backups are pg_dump's): its data dir as a gzipped
   * tarball, taken on the one connection between transactions, so it holds every committed
   * transaction and nothing half-done (PGlite's own clone() copies a live database this way).
   */
  dumpDataDir: (() => Promise<Blob>) | null;
  close(): Promise<void>;
}

export interface PoolStats {
  /** Connections open, idle among them, and queries waiting for one. */
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export type DatabaseTarget =
  | {
      kind: 'postgres';
      url: string;
      poolSize?: number;
      /** The server cancels a statement that runs longer (SQLSTATE 57014); 0 or absent: no limit. */
      statementTimeoutMs?: number;
      /** Named prepared statements (default true); false for PgBouncer in transaction mode before 1.21. */
      prepared?: boolean;
      /** Told when a pooled connection dies while idle (PostgreSQL restarted, the network cut); the pool has dropped it. */
      onIdleError?: (error: Error) => void;
    }
  | { kind: 'pglite'; dataDir: string }
  /** In memory (tests); `snapshot` starts from a dumped data dir instead of an empty one (initdb). */
  | { kind: 'pglite-memory'; snapshot?: Blob };

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/** A restore refused because the data dir already holds a database (it is never overwritten). */
export class DataDirNotEmptyError extends Error {
  override name = 'DataDirNotEmptyError';
}

/**
 * The contrib extensions the migrations create (0022: pg_trgm for the Users list's search); every
 * PGlite is opened with them, a snapshot's too, since a loaded data dir needs the same code.
 */
const PGLITE_EXTENSIONS: PGliteOptions['extensions'] = { pg_trgm };

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  if (target.kind === 'postgres')
    return openPostgres(target.url, {
      poolSize: target.poolSize ?? 10,
      statementTimeoutMs: target.statementTimeoutMs ?? 0,
      prepared: target.prepared ?? true,
      onIdleError: target.onIdleError ?? (() => {}),
    });
  if (target.kind === 'pglite-memory')
    return openPglite(
      new PGlite({ extensions: PGLITE_EXTENSIONS, ...(target.snapshot ? { loadDataDir: target.snapshot } : {}) }),
      async () => {},
    );
  fs.mkdirSync(target.dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(target.dataDir);
  try {
    return openPglite(await PGlite.create(path.join(target.dataDir, 'pgdata'), { extensions: PGLITE_EXTENSIONS }), async () => unlock());
  } catch (error) {
    unlock();
    throw error;
  }
}

/**
 * Makes the embedded database of `dataDir` from a tarball of dumpDataDir (PGlite's loadDataDir),
 * under the data dir's lock. Refused when the data dir already holds a database.
 */
export async function restorePgliteDataDir(dataDir: string, tarball: Blob): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  try {
    const pgdata = path.join(dataDir, 'pgdata');
    if (fs.existsSync(path.join(pgdata, 'PG_VERSION')))
      throw new DataDirNotEmptyError(`${dataDir} already holds a database; restore into an empty KEYWARD_DATA_DIR.`);
    const pglite = await PGlite.create(pgdata, { extensions: PGLITE_EXTENSIONS, loadDataDir: tarball });
    await pglite.close();
  } finally {
    unlock();
  }
}

/**
 * A migrated in-memory database's files as one uncompressed tarball, for `pglite-memory`'s
 * `snapshot`. Why: a new PGlite runs initdb and then every migration, seconds per test file; a
 * loaded snapshot is ready in a fraction of that.
 */
export async function migratedPgliteSnapshot(): Promise<Blob> {
  const pglite = new PGlite({ extensions: PGLITE_EXTENSIONS });
  const handle = await openPglite(pglite, async () => {});
  try {
    await migrateToLatest(handle.db);
    return await pglite.dumpDataDir('none');
  } finally {
    await handle.close();
  }
}

function openPostgres(
  url: string,
  {
    poolSize,
    statementTimeoutMs,
    prepared,
    onIdleError,
  }: { poolSize: number; statementTimeoutMs: number; prepared: boolean; onIdleError: (error: Error) => void },
): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Why connections are kept 10 minutes (pg-pool's default closes them after 10 s idle): a
    // backend's parsed statements, their plans (generic from a statement's sixth run on) and its
    // catalog caches live as long as the connection. A full login on a new connection cost
    // PostgreSQL 26.6 ms of CPU (the backend's start included), on a warm one 5.7 ms (3 December
    // 2026, one connection, CPU from /proc/PID/schedstat): with 10 s, a server that saw a login
    // every few seconds paid the cold figure on most of them. The pool size still bounds how many
    // stay open (docs/operations.md).
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    // Why keepalive: a connection idle that long can be cut by a firewall or NAT without a word;
    // probes from 60 s on keep its state alive or end the connection (the pool drops it), instead
    // of a request finding it dead.
    keepAlive: true,
    keepAliveInitialDelayMillis: 60_000,
    // Why a limit: a statement stuck behind a lock or a bad plan would hold its connection and its
    // request forever, and a few of them exhaust the pool for every login. pg sends it as a
    // startup parameter, so it holds for each connection without a session SET (which PgBouncer's
    // transaction pooling would hand to another client). Migrations lift it for their transaction.
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    // Why: int8 (bigserial, count) arrive as numbers, as they do from PGlite.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? Number : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  survivingRestarts(pool, onIdleError);
  // Why optional: a named prepared statement lives in one server session; PgBouncer before 1.21 in
  // transaction mode hands the next statement to another session, where the name is unknown
  // ("prepared statement … does not exist") or taken ("already exists"). Debian 12 ships 1.18.
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: prepared ? preparingPool(pool) : pool }) });
  const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolSize });
  return { db, engine: 'postgres', poolStats, dumpDataDir: null, close: () => db.destroy() };
}

/**
 * The pool across a PostgreSQL restart or crash (issue 15): the process keeps serving and needs no
 * restart, and a request that meets the database away is answered 503 `service_unavailable`.
 * - A connection that dies while idle in the pool makes pg-pool emit 'error' on the pool (it has
 *   already dropped the connection); with no listener that event would end the process.
 * - A connection that dies while checked out (between the statements of a transaction) emits
 *   'error' on its client; the listener keeps that from ending the process too. Its next statement
 *   fails ("not queryable"), and the pool drops it when it is released.
 * - Every failure to connect or to run a statement that means the database is unreachable
 *   (isDatabaseUnavailable) becomes DomainError('service_unavailable'), which the HTTP layer
 *   answers with 503 and Retry-After; other errors pass unchanged. New connections are made on
 *   demand, so once PostgreSQL answers again the next request gets a working one.
 */
function survivingRestarts(pool: pg.Pool, onIdleError: (error: Error) => void): void {
  pool.on('error', (error) => onIdleError(error));
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { connect: unknown }).connect = (...args: unknown[]) => {
    if (args.length > 0) return connect(...args); // the callback form, which Kysely does not use
    return (connect() as Promise<pg.PoolClient>).catch((error: unknown) => {
      throw unavailableAsDomainError(error);
    });
  };
  pool.on('connect', (client) => {
    client.on('error', () => {}); // reported by the statement that meets it (see above)
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const result = query(...args);
      return result instanceof Promise
        ? result.catch((error: unknown) => {
            throw unavailableAsDomainError(error);
          })
        : result;
    };
  });
}

/** How long a pooled PostgreSQL connection may stay idle before the pool closes it (openPostgres says why). */
export const IDLE_CONNECTION_MS = 10 * 60_000;

/**
 * Every statement runs as a named prepared statement, so each pooled connection parses and plans
 * a given SQL text once: the login path's few statements then cost their execution only (after
 * five custom plans PostgreSQL keeps a generic one when it is no dearer: each of the login's
 * statements did, pg_prepared_statements showed 5 custom and then only generic plans).
 * Names come from a hash of the text, so one text always maps to one name. A text that starts
 * with PLANNED_PER_RUN is not prepared (prepared.ts, `preparable`: the same rule as PGlite's dialect).
 *
 * Each client's query is wrapped once, when the pool connects it ('connect' of pg-pool). Why not
 * on every checkout: a pooled client is checked out for every statement, and wrapping it again
 * each time stacked one more wrapper per checkout, so a busy connection's every query walked
 * through thousands of them (a fifth of the login path's CPU in `npm run bench`, and a stack
 * overflow in the end).
 */
export function preparingPool(pool: pg.Pool): pg.Pool {
  // The name of each text, kept for the texts last seen (most are the same few, and a prepared
  // query's is the same string each time): hashing a statement of a few KB on each run showed in
  // the login path's profile. Bounded: texts that are not repeated cannot grow it.
  const names = new Map<string, string | null>();
  const nameOf = (text: string): string | null => {
    let name = names.get(text);
    if (name === undefined) {
      name = preparable(text) ? `k${createHash('sha1').update(text).digest('hex').slice(0, 20)}` : null;
      if (names.size >= 256) names.clear();
      names.set(text, name);
    }
    return name;
  };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (text: unknown, values?: unknown) => {
      const name = typeof text === 'string' ? nameOf(text) : null;
      return name ? query({ name, text, values }) : query(text, values);
    };
  });
  return pool;
}

async function openPglite(pglite: PGlite, afterClose: () => Promise<void>): Promise<DatabaseHandle> {
  await pglite.waitReady;
  const db = new Kysely<Database>({ dialect: new PgliteDialect(pglite) });
  return {
    db,
    engine: 'pglite',
    poolStats: () => null,
    // Kysely's one connection (pglite-dialect.ts): the dump waits for a running transaction to end.
    dumpDataDir: () => db.connection().execute(() => pglite.dumpDataDir('gzip')),
    close: async () => {
      await db.destroy();
      await pglite.close();
      await afterClose();
    },
  };
}

/**
 * PGlite's files may be opened by one process only; a second writer corrupts them. The lock file
 * holds the owner's pid, and a lock left by a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'keyward.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lockPath, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DataDirLockedError(
          `The embedded database in ${dataDir} is in use by process ${owner} (a running keyward server?). ` +
            'Stop it first, or use DATABASE_URL with a PostgreSQL server to run both at once.',
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new DataDirLockedError(`Could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
