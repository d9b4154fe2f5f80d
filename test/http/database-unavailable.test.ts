/**
 * The database away (issue 15): storage turns a failure to reach PostgreSQL into
 * DomainError('service_unavailable'), the error handler answers it 503 with Retry-After, other
 * database errors stay what they were, and a pooled connection PostgreSQL ended (57P01, idle or
 * in a transaction) neither ends the process nor stays in the pool. The whole restart under load:
 * test/storage/postgres-restart.test.ts.
 */
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../src/http/error-handler.ts';
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { isDatabaseUnavailable } from '../../src/storage/errors.ts';
import { freePort } from '../support/server-process.ts';

describe('which errors mean the database is unavailable', () => {
  it.each([
    ['57P01 admin_shutdown', { code: '57P01' }],
    ['57P02 crash_shutdown', { code: '57P02' }],
    ['57P03 cannot_connect_now', { code: '57P03' }],
    ['53300 too_many_connections', { code: '53300' }],
    ['08006 connection_failure', { code: '08006' }],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a refused name with two addresses', new AggregateError([{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }])],
    ['pg: a socket closed during a query', new Error('Connection terminated unexpectedly')],
    ['pg: a client whose socket died', new Error('Client has encountered a connection error and is not queryable')],
  ])('%s: yes', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['23505 unique_violation', { code: '23505' }],
    ['57014 query_canceled (statement timeout)', { code: '57014' }],
    ['40001 serialization_failure', { code: '40001' }],
    ['42P01 undefined_table', { code: '42P01' }],
    ['a programming error', new TypeError('x is undefined')],
    ['a coded error whose message looks like pg', Object.assign(new Error('Connection terminated'), { code: 'EINVAL' })],
    ['nothing', null],
  ])('%s: no', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('a request while PostgreSQL does not answer', () => {
  let database: DatabaseHandle;
  const app = Fastify({ logger: false });
  beforeAll(async () => {
    // A free loopback port nobody listens on: connecting is refused, as while PostgreSQL is down.
    database = await openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${await freePort()}/none`, poolSize: 1 });
    registerErrorHandler(app);
    app.get('/probe', async () => (await sql<{ n: number }>`select 1 as n`.execute(database.db)).rows[0]);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('is answered 503 service_unavailable with Retry-After, never 500', async () => {
    await expect(sql`select 1`.execute(database.db)).rejects.toMatchObject({ name: 'DomainError', code: 'service_unavailable' });
    const response = await app.inject({ method: 'GET', url: '/probe' });
    expect(response.statusCode).toBe(503);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('service_unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('pooled connections PostgreSQL ended (57P01)', () => {
  let database: DatabaseHandle;
  let admin: pg.Client;
  const idleErrors: Error[] = [];
  beforeAll(async () => {
    database = await openDatabase({
      kind: 'postgres',
      url: process.env.TEST_DATABASE_URL!,
      poolSize: 1,
      onIdleError: (error) => idleErrors.push(error),
    });
    admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await database.close();
  });

  const backendPid = async (db = database.db) => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
  const terminate = (pid: number) => admin.query('select pg_terminate_backend($1)', [pid]);

  it('an idle one: reported, dropped, and the next statement gets a new connection', async () => {
    const before = await backendPid();
    await terminate(before);
    const deadline = Date.now() + 5000;
    while (idleErrors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(idleErrors.map((error) => (error as { code?: string }).code)).toEqual(['57P01']);
    const after = await backendPid();
    expect(after).not.toBe(before);
  });

  it('one in a transaction: the transaction fails as service_unavailable, and the pool serves the next statement', async () => {
    let pid = 0;
    await expect(
      database.db.transaction().execute(async (tx) => {
        pid = await backendPid(tx);
        await terminate(pid);
        // The FATAL arrives while the client waits between statements: only its listener hears it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql`select 1`.execute(tx);
      }),
    ).rejects.toMatchObject({ code: 'service_unavailable' });
    const next = await backendPid();
    expect(next).not.toBe(pid);
    expect(database.poolStats()).toMatchObject({ total: 1, waiting: 0 });
  });
});
