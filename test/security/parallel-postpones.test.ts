import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';

// Issue 10 item 15: postponing setup in parallel from several logins must not exceed
// maxPostpones. The count is guarded in the statement that increments it (STYLE.md: counters are
// one conditional UPDATE), and a refused postpone is 403 setup_enforced and changes nothing.
describe.each(engines())('parallel postponements on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  const LIMIT = 2;
  const LOGINS = 6;

  async function memberAtSetup() {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const member = await givenUser(deps, instance);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const enforceFrom = new Date(deps.clock.now().getTime() + 7 * 86_400_000).toISOString();
    const policy = { twoFactor: { autoEnable: true, enforceSetup: true, enforceFrom, maxPostpones: LIMIT } };
    expect((await adminClient.request({ method: 'PUT', url: '/api/v1/admin/password-policy', payload: policy })).statusCode).toBe(200);
    const clients: Client[] = [];
    for (let i = 0; i < LOGINS; i += 1) {
      const client = new Client(app);
      expect((await client.login(instance.slug, member.email, PASSWORD)).json()).toMatchObject({
        next: 'setup',
        canPostpone: true,
        postponesLeft: LIMIT,
      });
      clients.push(client);
    }
    return { member, clients };
  }

  const postponements = async (userId: string) =>
    (await database.db.selectFrom('users').select('setup_postponements').where('id', '=', userId).executeTakeFirstOrThrow())
      .setup_postponements;

  it(`grants at most ${LIMIT} of ${LOGINS} postponements sent at once, refuses the rest with setup_enforced, and counts only the granted`, async () => {
    const { member, clients } = await memberAtSetup();
    const answers = await Promise.all(clients.map((client) => client.post('/api/v1/auth/postpone')));
    const granted = answers.filter((r) => r.statusCode === 200);
    const refused = answers.filter((r) => r.statusCode !== 200);
    expect(granted).toHaveLength(LIMIT);
    for (const response of refused) expect([response.statusCode, errorCode(response)]).toEqual([403, 'setup_enforced']);
    expect(await postponements(member.id)).toBe(LIMIT);
    // A refused login changed nothing: it is still at setup and can set an app up.
    const refusedClients = clients.filter((_, i) => answers[i]!.statusCode !== 200);
    for (const client of refusedClients) expect((await client.post('/api/v1/auth/setup')).statusCode).toBe(200);
  });

  it('counts one postponement when the same login postpones twice at once', async () => {
    const { member, clients } = await memberAtSetup();
    const [client] = clients;
    const answers = await Promise.all([client!.post('/api/v1/auth/postpone'), client!.post('/api/v1/auth/postpone')]);
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(await postponements(member.id)).toBe(1);
  });
});
