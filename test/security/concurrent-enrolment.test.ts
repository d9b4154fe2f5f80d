import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines, freshPostgresDatabase } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, testDeps, type TestDeps } from '../support/deps.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { HttpClient } from '../support/http-client.ts';
import { openDatabase } from '../../src/storage/connect.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';

// Issue 10 item 20: two enrolments confirmed at once both succeeded and both sessions survived
// (each statement saw its own session alive and ended only the sessions it could see). Confirming
// locks the user row first and then needs its own session to still exist (SES-07, OTP-04).
describe.each(engines())('two enrolments of one user confirmed at once on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  it('lets exactly one win, and only its session survives, for each of five users', async () => {
    const { instance } = await givenInstance(deps);
    for (let round = 1; round <= 5; round += 1) {
      const user = await givenUser(deps, instance);
      const browsers = [new Client(app), new Client(app)];
      const secrets: string[] = [];
      for (const browser of browsers) {
        expect((await browser.login(instance.slug, user.email, PASSWORD)).json()).toEqual({ next: 'done' });
        const setup = await browser.post('/api/v1/auth/setup', { currentPassword: PASSWORD });
        expect(setup.statusCode).toBe(200);
        secrets.push(setup.json().secret);
      }
      const results = await Promise.all(
        browsers.map((b, i) => b.post('/api/v1/auth/setup/confirm', { code: oathtool(secrets[i]!, deps.clock.now()) })),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
      const winner = results.findIndex((r) => r.statusCode === 200);
      expect(errorCode(results[1 - winner]!)).toBe('unauthenticated');
      expect((await browsers[winner]!.get('/api/v1/me')).statusCode).toBe(200);
      expect(errorCode(await browsers[1 - winner]!.get('/api/v1/me'))).toBe('unauthenticated');
      const sessions = await database.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
      expect(sessions).toHaveLength(1);
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('two enrolments of one user confirmed at once through two server processes', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const env = { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText() };
    a = await startServer(env);
    b = await startServer(env);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('lets exactly one win, and only its session survives, for each of five users', async () => {
    const handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
    const deps = await testDeps(handle);
    const users = [];
    for (let i = 0; i < 5; i += 1) users.push(await givenInstance(deps));
    await handle.close();

    for (const { instance, admin } of users) {
      const browsers = [new HttpClient(a.origin), new HttpClient(b.origin)];
      const secrets: string[] = [];
      for (const browser of browsers) {
        expect(
          (await browser.post('/api/v1/auth/login', { instance: instance.slug, email: admin.email, password: PASSWORD })).json,
        ).toEqual({ next: 'done' });
        const setup = await browser.post('/api/v1/auth/setup', { currentPassword: PASSWORD });
        expect(setup.status).toBe(200);
        secrets.push(setup.json.secret);
      }
      const results = await Promise.all(
        browsers.map((c, i) => c.post('/api/v1/auth/setup/confirm', { code: oathtool(secrets[i]!, new Date()) })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
      const winner = results.findIndex((r) => r.status === 200);
      expect(results[1 - winner]!.json.error.code).toBe('unauthenticated');
      expect((await browsers[winner]!.request('GET', '/api/v1/me')).status).toBe(200);
      expect((await browsers[1 - winner]!.request('GET', '/api/v1/me')).status).toBe(401);
    }
  });
});
