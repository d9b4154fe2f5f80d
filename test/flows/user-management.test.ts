import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';

/** Reset requests finish after their 204: wait for them before reading the mailbox. */
// Reset requests are queued; deliveredTo drains the worker that handles them.
const resetsDone = () => Promise.resolve();
const linkToken = (text: string, page: string) => new RegExp(`/${page}\\?instance=[a-z0-9-]+#token=([A-Za-z0-9_-]+)`).exec(text)![1]!;

describe.each(engines())('user management and password links on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  async function adminClient(plan: 'professional' | 'enterprise' = 'professional') {
    const { instance, admin } = await givenInstance(deps, plan);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    return { instance, admin, client };
  }

  it('invites a user by email; the link sets a password once and never logs in', async () => {
    const { instance, client } = await adminClient();
    const email = `new-${instance.slug}@example.test`;
    const invited = await client.post('/api/v1/admin/users', { email, name: 'Nina New', role: 'member' });
    expect(invited.statusCode).toBe(201);
    expect(invited.json()).toMatchObject({ email, name: 'Nina New', role: 'member', status: 'active' });
    expect(errorCode(await new Client(app).login(instance.slug, email, 'any password at all'))).toBe('invalid_credentials');
    const [mail] = await deliveredTo(deps, email);
    const token = linkToken(mail!.text, 'invite');
    const visitor = new Client(app);
    const set = await visitor.post('/api/v1/auth/invitation', { token, password: 'nina chooses well 42' });
    expect(set.statusCode).toBe(204);
    expect(set.headers['set-cookie']).toBeUndefined();
    expect(errorCode(await visitor.post('/api/v1/auth/invitation', { token, password: 'another one entirely' }))).toBe('forbidden');
    expect((await new Client(app).login(instance.slug, email, 'nina chooses well 42')).json()).toEqual({ next: 'done' });
    expect(errorCode(await client.post('/api/v1/admin/users', { email: email.toUpperCase(), name: 'Dup', role: 'member' }))).toBe(
      'conflict',
    );
  });

  it('expires an invitation after 7 days', async () => {
    const { instance, client } = await adminClient();
    const email = `late-${instance.slug}@example.test`;
    await client.post('/api/v1/admin/users', { email, name: 'Lena Late', role: 'member' });
    const [mail] = await deliveredTo(deps, email);
    deps.clock.advanceSeconds(7 * 86400 + 1);
    expect(
      errorCode(
        await new Client(app).post('/api/v1/auth/invitation', {
          token: linkToken(mail!.text, 'invite'),
          password: 'too late for this one',
        }),
      ),
    ).toBe('forbidden');
  });

  it('changes roles, disables (ending sessions) and re-enables users, never one’s own account', async () => {
    const { instance, admin, client } = await adminClient();
    const member = await givenUser(deps, instance);
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    const patch = (id: string, body: object) => client.request({ method: 'PATCH', url: `/api/v1/admin/users/${id}`, payload: body });
    expect((await patch(member.id, { role: 'admin' })).json().role).toBe('admin');
    expect((await patch(member.id, { status: 'disabled' })).json().status).toBe('disabled');
    expect(errorCode(await memberClient.get('/api/v1/me'))).toBe('unauthenticated');
    expect(errorCode(await new Client(app).login(instance.slug, member.email, PASSWORD))).toBe('account_disabled');
    expect((await patch(member.id, { status: 'active' })).json().status).toBe('active');
    expect((await new Client(app).login(instance.slug, member.email, PASSWORD)).statusCode).toBe(200);
    expect(errorCode(await patch(admin.id, { role: 'member' }))).toBe('forbidden');
    const other = await givenInstance(deps);
    expect(errorCode(await patch(other.admin.id, { status: 'disabled' }))).toBe('not_found');
    expect(errorCode(await patch(member.id, { role: 'owner' }))).toBe('invalid_request');
  });

  it('answers a reset request the same for unknown and known accounts, and mails only the known one', async () => {
    const { instance, admin } = await adminClient();
    for (const email of [admin.email, `ghost@${instance.slug}.test`]) {
      const response = await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email });
      await resetsDone();
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
    }
    expect((await new Client(app).post('/api/v1/auth/forgot', { instance: 'nope', email: 'x@y.test' })).statusCode).toBe(204);
    await resetsDone();
    expect((await deliveredTo(deps, admin.email)).filter((m) => m.subject.startsWith('Reset'))).toHaveLength(1);
    expect(await deliveredTo(deps, `ghost@${instance.slug}.test`)).toEqual([]);
  });

  it('lets a user created without a password choose one through Forgot password', async () => {
    const { instance } = await adminClient();
    const { createUser } = await import('../../src/domain/account/create-user.ts');
    const user = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `imported-${instance.slug}@example.test`,
      role: 'member',
      password: null,
    });
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: user.email });
    await resetsDone();
    const mail = (await deliveredTo(deps, user.email)).find((m) => m.subject.startsWith('Reset'))!;
    expect(
      (await new Client(app).post('/api/v1/auth/reset', { token: linkToken(mail.text, 'reset'), password: 'imported and ready now' }))
        .statusCode,
    ).toBe(204);
    expect((await new Client(app).login(instance.slug, user.email, 'imported and ready now')).json()).toEqual({ next: 'done' });
  });

  it('sends at most one reset mail per account every five minutes', async () => {
    const { instance, admin } = await adminClient();
    for (let i = 0; i < 3; i += 1) await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: admin.email });
    await resetsDone();
    expect((await deliveredTo(deps, admin.email)).filter((m) => m.subject.startsWith('Reset'))).toHaveLength(1);
    deps.clock.advanceSeconds(301);
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: admin.email });
    await resetsDone();
    expect((await deliveredTo(deps, admin.email)).filter((m) => m.subject.startsWith('Reset'))).toHaveLength(2);
  });

  it('resets a password by email link without logging in, ending sessions, once', async () => {
    const { instance, admin, client } = await adminClient();
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: admin.email });
    await resetsDone();
    const mail = (await deliveredTo(deps, admin.email)).find((m) => m.subject.startsWith('Reset'))!;
    const token = linkToken(mail.text, 'reset');
    const reset = await new Client(app).post('/api/v1/auth/reset', { token, password: 'a fresh start password' });
    expect(reset.statusCode).toBe(204);
    expect(reset.headers['set-cookie']).toBeUndefined();
    expect(errorCode(await client.get('/api/v1/me'))).toBe('unauthenticated');
    expect(errorCode(await new Client(app).post('/api/v1/auth/reset', { token, password: 'yet another password' }))).toBe('forbidden');
    expect((await new Client(app).login(instance.slug, admin.email, 'a fresh start password')).json()).toEqual({ next: 'done' });
  });

  it('refuses a reset link an hour after it was sent', async () => {
    const { instance, admin } = await adminClient();
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: admin.email });
    await resetsDone();
    const mail = (await deliveredTo(deps, admin.email)).find((m) => m.subject.startsWith('Reset'))!;
    deps.clock.advanceSeconds(3601);
    expect(
      errorCode(
        await new Client(app).post('/api/v1/auth/reset', { token: linkToken(mail.text, 'reset'), password: 'a fresh start password' }),
      ),
    ).toBe('forbidden');
    expect((await new Client(app).login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
  });

  it('lifts a lockout caused by strangers when the owner resets the password', async () => {
    const { instance, admin } = await adminClient();
    for (let i = 0; i < 6; i += 1) await new Client(app).login(instance.slug, admin.email, 'a stranger guessing');
    expect(errorCode(await new Client(app).login(instance.slug, admin.email, PASSWORD))).toBe('locked');
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: admin.email });
    await resetsDone();
    const mail = (await deliveredTo(deps, admin.email)).find((m) => m.subject.startsWith('Reset'))!;
    await new Client(app).post('/api/v1/auth/reset', { token: linkToken(mail.text, 'reset'), password: 'owner is back in control' });
    expect((await new Client(app).login(instance.slug, admin.email, 'owner is back in control')).json()).toEqual({ next: 'done' });
  });

  it('refuses a link of a user who was disabled since', async () => {
    const { instance, client } = await adminClient();
    const email = `gone-${instance.slug}@example.test`;
    const invited = (await client.post('/api/v1/admin/users', { email, name: 'Gina Gone', role: 'member' })).json();
    await client.request({ method: 'PATCH', url: `/api/v1/admin/users/${invited.id}`, payload: { status: 'disabled' } });
    const mail = (await deliveredTo(deps, email)).find((m) => m.subject.startsWith('You are invited'));
    expect(
      errorCode(
        await new Client(app).post('/api/v1/auth/invitation', { token: linkToken(mail!.text, 'invite'), password: 'gina wants in anyway' }),
      ),
    ).toBe('forbidden');
  });

  it('asks for an authenticator code with a reset when 2FA is active, accepts no backup code, and leaves 2FA on', async () => {
    const { instance, admin, client } = await adminClient();
    const secret = await enrolTotp(client, deps);
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: admin.email });
    await resetsDone();
    const mails = await deliveredTo(deps, admin.email);
    const token = linkToken(mails.find((m) => m.subject.startsWith('Reset'))!.text, 'reset');
    const backupCode = /Backup code: (\S+)/.exec(mails.find((m) => m.text.includes('Backup code:'))!.text)![1]!;
    const attempt = (body: object) => new Client(app).post('/api/v1/auth/reset', { token, password: 'mailbox owner password', ...body });
    expect(errorCode(await attempt({}))).toBe('invalid_request');
    expect(errorCode(await attempt({ backupCode }))).toBe('invalid_request');
    expect(errorCode(await attempt({ code: '000000' === oathtool(secret, deps.clock.now()) ? '111111' : '000000' }))).toBe(
      'invalid_credentials',
    );
    expect((await attempt({ code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
    // The mailbox alone never yields a session: the new password still needs the code.
    expect((await new Client(app).login(instance.slug, admin.email, 'mailbox owner password')).json().next).toBe('verify');
  });

  it('asks users whose 2FA is off to enable it, at most once a day each', async () => {
    const { instance, admin, client } = await adminClient();
    const members = [await givenUser(deps, instance), await givenUser(deps, instance)];
    const first = await client.post('/api/v1/admin/two-factor/requests');
    expect(first.json(), first.body).toEqual({ emailed: 3 });
    expect((await client.post('/api/v1/admin/two-factor/requests')).json()).toEqual({ emailed: 0 });
    const mails = await deliveredTo(deps, members[0]!.email);
    expect(mails.filter((m) => m.subject.startsWith('Please turn on'))).toHaveLength(1);
    deps.clock.advanceSeconds(86401);
    await client.login(instance.slug, admin.email, PASSWORD);
    expect((await client.post('/api/v1/admin/two-factor/requests')).json()).toEqual({ emailed: 3 });
  });

  it('draws the adoption chart from daily snapshots and today’s counts', async () => {
    const { instance, admin, client } = await adminClient('enterprise');
    await givenUser(deps, instance);
    // Housekeeping's snapshot alone: its deletions would reach other files' rows on a shared database.
    await deps.stores.housekeeping.snapshotAdoption(deps.clock.now().toISOString().slice(0, 10));
    deps.clock.advanceSeconds(86400);
    await client.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(client, deps);
    const { days } = (await client.get('/api/v1/admin/two-factor/adoption')).json();
    expect(days.at(-1)).toMatchObject({ active: 1, pending: 0, off: 1 });
    expect(days.at(-2)).toMatchObject({ active: 0, pending: 0, off: 2 });
  });
});
