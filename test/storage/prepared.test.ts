import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs } from 'kysely';
import { engines, openTestDatabase } from '../support/db.ts';
import { QueryCounter } from '../support/query-counter.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { prepared, type PreparedQuery } from '../../src/storage/prepared.ts';
import { loginLookups, loginWrites } from '../../src/storage/auth-session-store.ts';
import { deviceKey, ipKey, operatorPasswordKey, passwordKey } from '../../src/domain/throttle/throttle.ts';

/** Values of several kinds, one of them twice, beside constants of the query itself. */
const echo = prepared((db, p: { a: string; b: number; when: Date; c: string }) =>
  db.selectNoFrom([
    sql<string>`${p.a}::text`.as('a'),
    sql<number>`${p.b}::int + 1`.as('b_plus_one'),
    sql<string>`${'constant'}::text`.as('constant'),
    sql<string>`${p.c}::text`.as('c'),
    sql<string>`to_char(${p.when}::timestamptz at time zone 'UTC', 'YYYY-MM-DD')`.as('day'),
    sql<boolean>`${p.when}::timestamptz = ${p.when}::timestamptz`.as('same_when'),
  ]),
);

/** Shapes that differ: an `in` list's length, a null key part, an optional filter. */
const throttleRows = prepared((db, p: { subjects: string[]; slug: string | null; minFailures?: number }) =>
  db
    .selectFrom('throttles')
    .select(['subject', 'failures'])
    .where('subject', 'in', p.subjects)
    .where((eb) => (p.slug === null ? eb('instance_slug', 'is', null) : eb('instance_slug', '=', p.slug)))
    .$if(p.minFailures !== undefined, (q) => q.where('failures', '>=', p.minFailures!))
    .orderBy('subject'),
);

const addThrottle = prepared((db, p: { subject: string; slug: string | null; failures: number; at: Date }) =>
  db
    .insertInto('throttles')
    // Only the password scope has an instance slug (the table's check): a null decides the shape.
    .values({
      scope: p.slug === null ? 'device' : 'password',
      subject: p.subject,
      instance_slug: p.slug,
      failures: p.failures,
      last_failure_at: p.at,
    })
    .returning(['subject', 'failures']),
);

/** Counts what it sees, and checks each result comes back under the query id it saw. */
class Watcher implements KyselyPlugin {
  readonly seen = new Set<object>();
  queries = 0;
  results = 0;
  transformQuery(args: PluginTransformQueryArgs) {
    this.queries += 1;
    this.seen.add(args.queryId);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs) {
    if (this.seen.has(args.queryId)) this.results += 1;
    return args.result;
  }
}

describe.each(engines())('prepared queries on %s', (engine) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
  });
  afterAll(async () => {
    await database?.close();
  });

  const rows = (count: number, slug: string | null = null) => {
    const prefix = randomUUID();
    return Array.from({ length: count }, (_, i) => ({ subject: `${prefix}-${i}`, slug, failures: i + 1, at: new Date() }));
  };

  it('puts each value into its own parameter slots, and keeps the constants of the query', async () => {
    const when = new Date('2026-11-24T10:00:00Z');
    const [row] = await echo.execute(database.db, { a: 'first', b: 41, when, c: 'third' });
    expect(row).toEqual({ a: 'first', b_plus_one: 42, constant: 'constant', c: 'third', day: '2026-11-24', same_when: true });
    const params = { a: 'x', b: 1, when, c: 'y' };
    const compiled = echo.compile(database.db, params);
    const built = echo.compileUnprepared(database.db, params);
    expect(compiled.sql).toBe(built.sql);
    expect(compiled.parameters).toEqual(built.parameters);
  });

  it('matches slots by identity: values equal to the constants or to each other change nothing', async () => {
    const when = new Date('2026-01-02T00:00:00Z');
    // 'constant' is the query's own constant; '$1' and '[object Object]' what a placeholder might be taken for.
    const [first] = await echo.execute(database.db, { a: 'constant', b: 0, when, c: '$1' });
    expect(first).toMatchObject({ a: 'constant', constant: 'constant', c: '$1' });
    const [second] = await echo.execute(database.db, { a: '$1', b: 0, when, c: '[object Object]' });
    expect(second).toMatchObject({ a: '$1', constant: 'constant', c: '[object Object]' });
  });

  it('compiles one query per shape, each with its own values, in any order', async () => {
    const one = rows(1);
    const three = rows(3, 'acme');
    for (const row of [...one, ...three]) await addThrottle.execute(database.db, row);
    const subjects = (list: Array<{ subject: string }>) => list.map((r) => r.subject);
    const shapes = [
      { subjects: subjects(one), slug: null },
      { subjects: subjects(three), slug: 'acme' },
      { subjects: subjects(three), slug: 'acme', minFailures: 2 },
      { subjects: subjects(three), slug: null },
    ];
    const sqls = new Set(shapes.map((p) => throttleRows.compile(database.db, p).sql));
    expect(sqls.size).toBe(4);
    for (let round = 0; round < 2; round += 1) {
      expect(subjects(await throttleRows.execute(database.db, shapes[2]!))).toEqual(subjects(three).slice(1));
      expect(subjects(await throttleRows.execute(database.db, shapes[0]!))).toEqual(subjects(one));
      expect(subjects(await throttleRows.execute(database.db, shapes[3]!))).toEqual([]);
      expect(subjects(await throttleRows.execute(database.db, shapes[1]!))).toEqual(subjects(three));
    }
    for (const p of shapes) {
      const built = throttleRows.compileUnprepared(database.db, p);
      expect(throttleRows.compile(database.db, p)).toMatchObject({ sql: built.sql, parameters: built.parameters });
    }
  });

  it('keeps at most maxShapes compiled shapes and compiles a dropped one again', async () => {
    const last = prepared(
      (db, p: { ids: string[] }) => db.selectNoFrom(sql<string>`(array[${sql.join(p.ids)}]::text[])[${p.ids.length}]`.as('last')),
      { maxShapes: 1 },
    );
    for (const ids of [['a'], ['b', 'c'], ['d'], ['e', 'f'], ['g', 'h', 'i'], ['j']]) {
      expect(await last.executeTakeFirstOrThrow(database.db, { ids })).toEqual({ last: ids.at(-1) });
    }
  });

  it('takes the branch `shape` names, keyed on its value', async () => {
    const scoped = prepared(
      (db, p: { subject: string; scope: string }, isAddress: boolean) =>
        db.selectNoFrom(sql<string>`${isAddress ? sql`'address:'` : sql`'other:'`} || ${p.subject}`.as('label')),
      { shape: (p) => p.scope === 'address' },
    );
    expect(await scoped.executeTakeFirst(database.db, { subject: 's1', scope: 'address' })).toEqual({ label: 'address:s1' });
    expect(await scoped.executeTakeFirst(database.db, { subject: 's2', scope: 'device' })).toEqual({ label: 'other:s2' });
    expect(await scoped.executeTakeFirst(database.db, { subject: 's3', scope: 'address' })).toEqual({ label: 'address:s3' });
  });

  it('refuses a build that reads a value, and parameters that are neither values nor plain objects', () => {
    const reading = prepared((db, p: { n: number }) => db.selectNoFrom(sql<number>`${sql.raw(String(p.n))}`.as('n')));
    expect(() => reading.compile(database.db, { n: 1 })).toThrow(/params\.n is a parameter/);
    expect(() => echo.compile(database.db, { a: 'a', b: 1, c: 'c', when: new Map() as unknown as Date })).toThrow(
      /params\.when is neither/,
    );
  });

  it('runs writes: an sql template with its own row type, and a builder without returning', async () => {
    const [row] = rows(1);
    const insertRaw = prepared(
      (db, p: { subject: string; at: Date }) =>
        sql<{ subject: string; failures: number }>`insert into throttles (scope, instance_slug, subject, failures, last_failure_at)
          values ('device', null, ${p.subject}, ${1}, ${p.at}) returning subject, failures`,
    );
    const bump = prepared((db, p: { subject: string }) =>
      db
        .updateTable('throttles')
        .set((eb) => ({ failures: eb('failures', '+', 1) }))
        .where('subject', '=', p.subject),
    );
    expect(await insertRaw.execute(database.db, { subject: row!.subject, at: row!.at })).toEqual([{ subject: row!.subject, failures: 1 }]);
    expect((await bump.executeQuery(database.db, { subject: row!.subject })).numAffectedRows).toBe(1n);
    expect((await bump.executeQuery(database.db, { subject: 'no such subject' })).numAffectedRows).toBe(0n);
    expect(await throttleRows.execute(database.db, { subjects: [row!.subject], slug: null })).toEqual([
      { subject: row!.subject, failures: 2 },
    ]);
    const built = insertRaw.compileUnprepared(database.db, { subject: 's', at: row!.at });
    expect(insertRaw.compile(database.db, { subject: 's', at: row!.at })).toMatchObject({ sql: built.sql, parameters: built.parameters });
  });

  it('runs on the transaction it is given: its writes are seen inside and rolled back with it', async () => {
    const [row] = rows(1);
    await database.db
      .transaction()
      .execute(async (tx) => {
        await addThrottle.execute(tx, row!);
        // On PGlite a statement outside the transaction would wait for its connection forever.
        expect(await throttleRows.execute(tx, { subjects: [row!.subject], slug: null })).toHaveLength(1);
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    expect(await throttleRows.execute(database.db, { subjects: [row!.subject], slug: null })).toEqual([]);
  });

  it("passes every run through the handle's plugins, the statement budget's counter included", async () => {
    const counter = new QueryCounter();
    const watcher = new Watcher();
    const watched = database.db.withPlugin(counter).withPlugin(watcher);
    const when = new Date();
    for (let i = 0; i < 3; i += 1) await echo.execute(watched, { a: `${i}`, b: i, when, c: '' });
    await watched.transaction().execute((tx) => echo.execute(tx, { a: 'tx', b: 0, when, c: '' }));
    expect(counter.count).toBe(4);
    expect(watcher).toMatchObject({ queries: 4, results: 4 });
  });

  it('runs the query a plugin rewrote, with the same values', async () => {
    const [row] = rows(1);
    await addThrottle.execute(database.db, row!);
    const params = { subjects: [row!.subject], slug: null };
    expect(await throttleRows.execute(database.db.withSchema('public'), params)).toEqual([{ subject: row!.subject, failures: 1 }]);
    await expect(throttleRows.execute(database.db.withSchema('no_such_schema'), params)).rejects.toThrow(/no_such_schema/);
  });

  it("compiles the login kernel's four lookups to the SQL and parameters of their builders", () => {
    const now = new Date('2026-11-24T10:00:00Z');
    const times = { now, idleCutoff: new Date('2026-11-24T09:00:00Z'), touchBefore: new Date('2026-11-24T09:59:00Z') };
    const session = { id: 'session-id', secretHash: 'hash', ...times };
    const sameAsBuilder = <P>(query: PreparedQuery<P, unknown>, params: P) => {
      const built = query.compileUnprepared(database.db, params);
      expect(query.compile(database.db, params)).toMatchObject({ sql: built.sql, parameters: built.parameters });
    };
    sameAsBuilder(loginLookups.userSession, { ...session, throttles: undefined, list: undefined });
    sameAsBuilder(loginLookups.userSession, { ...session, throttles: { ipKey: ipKey('10.1.2.3') }, list: undefined });
    sameAsBuilder(loginLookups.userSession, { ...session, throttles: { ipKey: null }, list: { sessions: 20 } });
    sameAsBuilder(loginLookups.operatorSession, { ...session, throttles: undefined });
    sameAsBuilder(loginLookups.operatorSession, { ...session, throttles: { ipKey: ipKey('2001:db8::1') } });
    sameAsBuilder(loginLookups.userCredentials, { instanceSlug: 'acme', emailKey: 'a@b', throttleKeys: [], deviceIds: [], now });
    sameAsBuilder(loginLookups.userCredentials, {
      instanceSlug: 'acme',
      emailKey: 'a@b',
      throttleKeys: [passwordKey('acme', 'a@b'), deviceKey('d1')],
      deviceIds: ['d1', 'd2'],
      now,
    });
    sameAsBuilder(loginLookups.operatorCredentials, { emailKey: 'op@b', throttleKeys: [operatorPasswordKey('op@b')], deviceIds: [], now });
    sameAsBuilder(loginLookups.operatorCredentials, { emailKey: 'op@b', throttleKeys: [ipKey('10.0.0.9')], deviceIds: ['d'], now });
  });

  it("compiles the login kernel's prepared writes to the SQL and parameters of their builders", () => {
    const now = new Date('2026-11-24T10:00:00Z');
    const sameAsBuilder = <P>(query: PreparedQuery<P, unknown>, params: P) => {
      const built = query.compileUnprepared(database.db, params);
      expect(query.compile(database.db, params)).toMatchObject({ sql: built.sql, parameters: built.parameters });
    };
    const session = {
      id: 's-new',
      instance_id: 'i',
      user_id: 'u',
      secret_hash: 'h',
      stage: 'done' as const,
      created_at: now,
      last_seen_at: now,
      expires_at: now,
      ip: null,
      user_agent: 'ua',
      second_factor_at: null,
      second_factor_kind: null,
    };
    const audit = {
      instance_id: 'i',
      at: now,
      action: 'user.login',
      actor_type: 'user',
      actor_id: 'u',
      actor_label: 'a@b',
      target_id: null,
      target_label: null,
      ip: '10.0.0.1',
      user_agent: null,
      details: '{"factor":"password"}',
    } as const;
    const touch = { locationId: '', userId: 'u', at: now };
    sameAsBuilder(loginWrites.rotateSession, {
      instanceId: 'i',
      previous: { id: '', secretHash: '' },
      gated: false,
      addressKeys: [],
      otherKeys: [],
      touch,
      audit: [],
      session,
    });
    sameAsBuilder(loginWrites.rotateSession, {
      instanceId: 'i',
      previous: { id: 's-old', secretHash: 'h-old' },
      gated: true,
      addressKeys: [ipKey('10.0.0.1')],
      otherKeys: [passwordKey('acme', 'a@b'), deviceKey('d1')],
      touch: { ...touch, locationId: 'kl' },
      audit: [audit, { ...audit, action: 'user.login_location' }],
      session: { ...session, ip: '10.0.0.1', second_factor_at: now, second_factor_kind: 'totp' },
    });
    const mail = {
      instance_id: 'i',
      recipient: 'a@b',
      subject: 'New sign-in',
      text_body: 'sealed-text',
      html_body: 'sealed-html',
      sealed: true,
      next_attempt_at: now,
      created_at: now,
    };
    const location = {
      id: 'kl',
      instance_id: 'i',
      user_id: 'u',
      secret_hash: 'lh',
      network: '10.0.0.0/24',
      device: 'Firefox on Linux',
      created_at: now,
      last_used_at: now,
      expires_at: now,
    };
    const step = { instanceId: 'i', userId: 'u', step: 59_000_000, secretSealed: 'sealed' };
    const effects = { addressKeys: [ipKey('10.0.0.1')], otherKeys: [deviceKey('d1')], audit: [audit], mails: [mail] };
    const noEffects = { addressKeys: [], otherKeys: [], audit: [], mails: [] };
    sameAsBuilder(loginWrites.consumeTotpStep, { ...step, ...effects, swap: { previousSessionId: 's-old', session }, location });
    sameAsBuilder(loginWrites.consumeTotpStep, { ...step, ...noEffects, swap: null, location: null });
    const code = { instanceId: 'i', userId: 'u', oldMac: 'old', nextMac: 'new', now };
    sameAsBuilder(loginWrites.consumeBackup, { ...code, ...effects, swap: { previousSessionId: 's-old', session } });
    sameAsBuilder(loginWrites.consumeBackup, { ...code, ...noEffects, swap: null });
  });
});
