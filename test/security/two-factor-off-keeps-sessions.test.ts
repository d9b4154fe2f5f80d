import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';

// Issue 10 item 17 (part): turning 2FA off kept the user's other sessions. Removing a factor is
// a credential event (ASVS 5.0 7.4.3, checklist SES-07): every other session ends with it, in the
// statement that removes the app; the session that turned it off stays.
describe.each(engines())('turning 2FA off on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  it('ends every other session of the user and keeps this one', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    const others = [new Client(app), new Client(app)];
    for (const other of others) await loginWithCode(other, deps, instance.slug, admin.email, secret);
    for (const other of others) expect((await other.get('/api/v1/me')).statusCode).toBe(200);
    const off = await client.request({
      method: 'PUT',
      url: '/api/v1/me/two-factor',
      payload: { enabled: false, currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) },
    });
    expect(off.json().status).toBe('off');
    for (const other of others) expect(errorCode(await other.get('/api/v1/me'))).toBe('unauthenticated');
    expect((await client.get('/api/v1/me')).json().twoFactor.status).toBe('off');
  });

  it('ends the other sessions of a user who turns off 2FA that has no app yet', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    const other = new Client(app);
    expect((await other.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('setup');
    expect((await other.post('/api/v1/auth/postpone')).json()).toEqual({ next: 'done' });
    const off = await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: false } });
    expect(off.json().status).toBe('off');
    expect(errorCode(await other.get('/api/v1/me'))).toBe('unauthenticated');
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
  });
});
