import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines, freshPostgresDatabase } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, testDeps, type TestDeps } from '../support/deps.ts';
import { loadSessionForStep } from '../../src/domain/login/load-login-step.ts';
import { resetByAdmin } from '../../src/domain/recovery/reset-two-factor.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { HttpClient } from '../support/http-client.ts';
import { createUser } from '../../src/domain/account/create-user.ts';
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.ts';
import type { Deps } from '../../src/domain/shared/deps.ts';

// Issue 10 item 14: two admins demoting (or disabling) each other at the same moment must not
// leave an instance without an active administrator. The caller's role and "one active admin
// remains" are checked under a lock inside the changing transaction (OWASP ASVS 5.0 V2.3.4:
// business logic limits hold under concurrency; the checklist's "races" row).
const CHANGES: Array<[string, object, object]> = [
  ['demote each other', { role: 'member' }, { role: 'member' }],
  ['disable each other', { status: 'disabled' }, { status: 'disabled' }],
  ['demote and disable each other', { role: 'member' }, { status: 'disabled' }],
];

async function twoAdmins(deps: Deps) {
  const { instance, admin: first } = await givenInstance(deps);
  const second = await createUser(deps, {
    instanceSlug: instance.slug,
    email: `second@${instance.slug}.test`,
    name: 'Sam Second',
    role: 'admin',
    password: PASSWORD,
  });
  return { instance, first, second };
}

async function activeAdmins(db: Kysely<Database>, instanceId: string): Promise<number> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('instance_id', '=', instanceId)
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .execute();
  return rows.length;
}

describe.each(engines())('two admins changing each other at once on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  it.each(CHANGES)('leaves one active admin when they %s, five times over', async (_name, firstChange, secondChange) => {
    for (let round = 0; round < 5; round += 1) {
      const { instance, first, second } = await twoAdmins(deps);
      const [a, b] = [new Client(app), new Client(app)];
      await a.login(instance.slug, first.email, PASSWORD);
      await b.login(instance.slug, second.email, PASSWORD);
      const answers = await Promise.all([
        a.request({ method: 'PATCH', url: `/api/v1/admin/users/${second.id}`, payload: firstChange }),
        b.request({ method: 'PATCH', url: `/api/v1/admin/users/${first.id}`, payload: secondChange }),
      ]);
      // The loser is refused: 403 when it waited for the lock, 401 when its session was already ended by a disable.
      const refused = answers.filter((r) => r.statusCode !== 200);
      expect(refused).toHaveLength(1);
      expect([['forbidden'], ['unauthenticated']]).toContainEqual([errorCode(refused[0]!)]);
      expect(await activeAdmins(database.db, instance.id)).toBe(1);
    }
  });

  it('refuses a change by an admin demoted since their session was loaded', async () => {
    const { instance, first, second } = await twoAdmins(deps);
    const [a, b] = [new Client(app), new Client(app)];
    await a.login(instance.slug, first.email, PASSWORD);
    await b.login(instance.slug, second.email, PASSWORD);
    expect((await a.request({ method: 'PATCH', url: `/api/v1/admin/users/${second.id}`, payload: { role: 'member' } })).statusCode).toBe(
      200,
    );
    expect(errorCode(await b.request({ method: 'PATCH', url: `/api/v1/admin/users/${first.id}`, payload: { status: 'disabled' } }))).toBe(
      'forbidden',
    );
    expect(await activeAdmins(database.db, instance.id)).toBe(1);
  });

  it("refuses a 2FA reset by an admin demoted after the session was loaded, and keeps the target's sessions", async () => {
    const { instance, first, second } = await twoAdmins(deps);
    const member = await givenUser(deps, instance);
    const [a, b, m] = [new Client(app), new Client(app), new Client(app)];
    await a.login(instance.slug, first.email, PASSWORD);
    await b.login(instance.slug, second.email, PASSWORD);
    await m.login(instance.slug, member.email, PASSWORD);
    // The session as the reset's request loaded it, before the demotion below committed.
    const stale = await loadSessionForStep(deps, b.cookies.get('keyward_session'), ['done'], null);
    expect((await a.request({ method: 'PATCH', url: `/api/v1/admin/users/${second.id}`, payload: { role: 'member' } })).statusCode).toBe(
      200,
    );
    await expect(resetByAdmin(deps, stale, member.id, { ip: null, userAgent: null }, null)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await m.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    expect(
      await database.db
        .selectFrom('audit_events')
        .select('id')
        .where('action', '=', 'two_factor.reset')
        .where('target_id', '=', member.id)
        .execute(),
    ).toEqual([]);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('two admins changing each other through two server processes on one PostgreSQL', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const env = { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText() };
    a = await startServer(env);
    b = await startServer(env);
    handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
  }, 120_000);
  afterAll(async () => {
    await handle?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it.each(CHANGES)('leaves one active admin when they %s, five times over', async (_name, firstChange, secondChange) => {
    const deps = await testDeps(handle);
    for (let round = 0; round < 5; round += 1) {
      const { instance, first, second } = await twoAdmins(deps);
      const [viaA, viaB] = [new HttpClient(a.origin), new HttpClient(b.origin)];
      expect((await viaA.post('/api/v1/auth/login', { instance: instance.slug, email: first.email, password: PASSWORD })).json).toEqual({
        next: 'done',
      });
      expect((await viaB.post('/api/v1/auth/login', { instance: instance.slug, email: second.email, password: PASSWORD })).json).toEqual({
        next: 'done',
      });
      const answers = await Promise.all([
        viaA.request('PATCH', `/api/v1/admin/users/${second.id}`, firstChange),
        viaB.request('PATCH', `/api/v1/admin/users/${first.id}`, secondChange),
      ]);
      const refused = answers.filter((r) => r.status !== 200);
      expect(refused).toHaveLength(1);
      expect([['forbidden'], ['unauthenticated']]).toContainEqual([refused[0]!.json.error.code]);
      expect(await activeAdmins(handle.db, instance.id)).toBe(1);
    }
  });
});
