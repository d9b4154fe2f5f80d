import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { HttpClient } from '../support/http-client.ts';
import { freshPostgresDatabase } from '../support/db.ts';
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { givenInstance, givenUser, PASSWORD, testDeps, type TestDeps } from '../support/deps.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';
import { randomToken } from '../../src/crypto/random.ts';
import { sha256Hex } from '../../src/crypto/hash.ts';
import { addSeconds } from '../../src/domain/shared/clock.ts';

const NEW_PASSWORD = 'a much newer passphrase for this test';

// The cold paths are transactions behind the user's row lock (docs/architecture.md "Cold paths"):
// two keyward servers on one PostgreSQL database, the same user's credentials changed through both
// at the same moment.
describe.runIf(process.env.TEST_DATABASE_URL)('cold paths through two server processes on one PostgreSQL', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let handle: DatabaseHandle;
  let deps: TestDeps;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const env = { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText() };
    // One starts first so that exactly one runs the migrations on the empty database.
    a = await startServer(env);
    b = await startServer(env);
    handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
    deps = await testDeps(handle);
  }, 120_000);
  afterAll(async () => {
    await handle?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  const rowsOf = (table: 'sessions' | 'password_history', userId: string) =>
    handle.db.selectFrom(table).select('user_id').where('user_id', '=', userId).execute();
  const events = (action: string, userId: string) =>
    handle.db.selectFrom('audit_events').select('id').where('action', '=', action).where('target_id', '=', userId).execute();

  it('sets one password when one reset link is submitted to both at once, for each of five users', async () => {
    const { instance } = await givenInstance(deps);
    for (let i = 0; i < 5; i += 1) {
      const user = await givenUser(deps, instance);
      const token = randomToken(32);
      const now = new Date();
      expect(await deps.stores.accountTokens.issue(user.id, 'reset', sha256Hex(token), now, addSeconds(now, 3600))).toBe(true);
      const results = await Promise.all(
        [a, b].map((server) => new HttpClient(server.origin).post('/api/v1/auth/reset', { token, password: NEW_PASSWORD })),
      );
      expect(results.filter((r) => r.status === 204)).toHaveLength(1);
      // The loser is refused: the link was used (403), or, when it checked the history after the
      // winner committed, the password is now the current one (422).
      const loser = results.find((r) => r.status !== 204)!;
      expect([`403 forbidden`, `422 password_reused`]).toContain(`${loser.status} ${loser.json.error.code}`);
      expect(await events('password.reset', user.id)).toHaveLength(1);
      expect(await rowsOf('password_history', user.id)).toHaveLength(1);
    }
  });

  it("leaves the user no session when an administrator's 2FA reset and the user's password change cross, for each of five users", async () => {
    const { instance, admin } = await givenInstance(deps);
    const adminClient = new HttpClient(a.origin);
    expect(
      (await adminClient.post('/api/v1/auth/login', { instance: instance.slug, email: admin.email, password: PASSWORD })).json,
    ).toEqual({ next: 'done' });
    for (let i = 0; i < 5; i += 1) {
      const member = await givenUser(deps, instance);
      const memberClient = new HttpClient(b.origin);
      expect(
        (await memberClient.post('/api/v1/auth/login', { instance: instance.slug, email: member.email, password: PASSWORD })).json,
      ).toEqual({ next: 'done' });
      const [reset, change] = await Promise.all([
        adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`),
        memberClient.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
      ]);
      expect(reset.status).toBe(204);
      // The change either came first (and its new session ended with the reset) or found its session ended.
      expect([200, 401]).toContain(change.status);
      expect(await rowsOf('sessions', member.id)).toEqual([]);
      expect((await memberClient.request('GET', '/api/v1/me')).status).toBe(401);
      expect(await events('two_factor.reset', member.id)).toHaveLength(1);
      expect(await events('password.changed', member.id)).toHaveLength(change.status === 200 ? 1 : 0);
    }
  });
});
