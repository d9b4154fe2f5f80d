import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { HttpClient } from '../support/http-client.ts';
import { oathtool } from '../support/oathtool.ts';
import { freshPostgresDatabase } from '../support/db.ts';
import { openDatabase } from '../../src/storage/connect.ts';
import { givenInstance, givenUser, PASSWORD, testDeps } from '../support/deps.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';

// RFC 6238 §5.2 across processes: two keyward servers on one PostgreSQL database, the same code
// sent to both at once — exactly one login completes (the conditional UPDATE decides).
describe.runIf(process.env.TEST_DATABASE_URL)('a TOTP code through two server processes on one PostgreSQL', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const env = { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText() };
    // One starts first so that exactly one runs the migrations on the empty database.
    a = await startServer(env);
    b = await startServer(env);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  async function enrol(slug: string, email: string): Promise<string> {
    const owner = new HttpClient(a.origin);
    expect((await owner.post('/api/v1/auth/login', { instance: slug, email, password: PASSWORD })).json).toEqual({ next: 'done' });
    expect((await owner.request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);
    const { secret } = (await owner.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json;
    expect((await owner.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, new Date()) })).json).toEqual({ next: 'done' });
    return secret;
  }

  it('is accepted by exactly one of them, for each of five users', async () => {
    const handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
    const deps = await testDeps(handle);
    const { instance, admin } = await givenInstance(deps);
    const users = [admin];
    for (let i = 0; i < 4; i += 1) users.push(await givenUser(deps, instance));
    await handle.close();

    for (const user of users) {
      const secret = await enrol(instance.slug, user.email);
      const viaA = new HttpClient(a.origin);
      const viaB = new HttpClient(b.origin);
      for (const client of [viaA, viaB]) {
        const login = await client.post('/api/v1/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD });
        expect(login.json.next).toBe('verify');
      }
      // The next time step: never the one setup used (accepted within ±1 step of drift).
      const code = oathtool(secret, new Date(), 1);
      const results = await Promise.all([viaA, viaB].map((c) => c.post('/api/v1/auth/verify', { code })));
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
      expect(results.find((r) => r.status === 401)!.json.error.code).toBe('invalid_credentials');
    }
  });
});
