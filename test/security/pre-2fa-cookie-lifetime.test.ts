import { describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { randomBytes } from 'node:crypto';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createOperator } from '../../src/domain/support/create-operator.ts';

const OPERATOR_PASSWORD = 'support staff passphrase 2026';

// Issue 10 item 21: the cookie of a login waiting at a step said Max-Age=43200 (12 h) though the
// server ends such a login after 15 minutes. A cookie lives as long as the session it carries
// (checklist SES-01/05/06; OWASP Session Management cheat sheet: expiry on both sides), a step-up
// included, which keeps the session's absolute end.
describe.each(engines())('the session cookie lives as long as its session (%s)', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  /** The cookie's Max-Age, and the seconds the stored session has left: they must be equal. */
  async function lifetimes(response: LightMyRequestResponse, table: 'sessions' | 'operator_sessions') {
    const header = String(response.headers['set-cookie']);
    const maxAge = Number(/Max-Age=(\d+)/.exec(header)?.[1]);
    const value = /keyward_session=([^;]+)/.exec(header)![1]!;
    const id = value.replace(/^op\./, '').split('.')[0]!;
    const row = await database.db.selectFrom(table).select('expires_at').where('id', '=', id).executeTakeFirstOrThrow();
    return { maxAge, left: Math.floor((new Date(row.expires_at).getTime() - deps.clock.now().getTime()) / 1000) };
  }

  /** Twenty minutes pass with the session in use (idle limit 30 minutes). */
  async function keepBusy(client: Client, url: string, minutes: number) {
    for (let i = 0; i < minutes / 10; i += 1) {
      deps.clock.advanceSeconds(600);
      expect((await client.get(url)).statusCode).toBe(200);
    }
  }

  it('gives a login waiting at verify 15 minutes, a full session 12 hours, and a step-up what is left', async () => {
    const { instance, admin } = await givenInstance(deps);
    const first = new Client(app);
    await first.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(first, deps);

    const browser = new Client(app);
    const atVerify = await browser.login(instance.slug, admin.email, PASSWORD);
    expect(atVerify.json().next).toBe('verify');
    expect(await lifetimes(atVerify, 'sessions')).toEqual({ maxAge: 15 * 60, left: 15 * 60 });

    const done = await browser.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) });
    expect(done.json()).toEqual({ next: 'done' });
    expect(await lifetimes(done, 'sessions')).toEqual({ maxAge: 12 * 3600, left: 12 * 3600 });

    await keepBusy(browser, '/api/v1/me', 40);
    const steppedUp = await browser.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) });
    expect(steppedUp.statusCode).toBe(204);
    expect(await lifetimes(steppedUp, 'sessions')).toEqual({ maxAge: 12 * 3600 - 40 * 60, left: 12 * 3600 - 40 * 60 });
  });

  it('gives an operator’s login at setup 10 minutes, the session 2 hours, and a step-up what is left', async () => {
    const operator = await createOperator(deps, {
      email: `op-${randomBytes(4).toString('hex')}@vendor.test`,
      name: 'Olga Operator',
      password: OPERATOR_PASSWORD,
    });
    const client = new Client(app);
    const atSetup = await client.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD });
    expect(atSetup.json().next).toBe('setup');
    expect(await lifetimes(atSetup, 'operator_sessions')).toEqual({ maxAge: 10 * 60, left: 10 * 60 });

    const { secret } = (await client.post('/api/v1/auth/setup')).json();
    const done = await client.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) });
    expect(done.json()).toEqual({ next: 'done' });
    expect(await lifetimes(done, 'operator_sessions')).toEqual({ maxAge: 2 * 3600, left: 2 * 3600 });

    await keepBusy(client, '/api/v1/support/me', 10);
    const steppedUp = await client.post('/api/v1/support/step-up', { code: oathtool(secret, deps.clock.now()) });
    expect(steppedUp.statusCode).toBe(204);
    expect(await lifetimes(steppedUp, 'operator_sessions')).toEqual({ maxAge: 2 * 3600 - 10 * 60, left: 2 * 3600 - 10 * 60 });

    client.cookies.clear();
    const atVerify = await client.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD });
    expect(atVerify.json().next).toBe('verify');
    expect(await lifetimes(atVerify, 'operator_sessions')).toEqual({ maxAge: 10 * 60, left: 10 * 60 });
  });
});
