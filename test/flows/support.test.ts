import { describe, expect, it } from 'vitest';
import { enrolTotp, givenOperator, givenOperatorLoggedIn, OPERATOR_PASSWORD } from '../support/two-factor.ts';
import type { FastifyInstance } from 'fastify';
import { engines, openIsolatedDatabase } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import type { EventJson } from '../support/audit.ts';
import { oathtool } from '../support/oathtool.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createUser } from '../../src/domain/account/create-user.ts';
import { runOperation } from '../../src/cli/operations.ts';

describe.each(engines())('support operators and their reset of an administrator on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  // A database of its own: the test reads the admins' mails from the dev mailbox, and once (CI,
  // 3 December) the other admin's was not there, with other files' workers draining the shared outbox.
  useTestApp(engine, (t) => ({ database, deps, app } = t), {}, openIsolatedDatabase);

  const newOperator = () => givenOperator(deps);
  const operatorLoggedIn = () => givenOperatorLoggedIn(app, deps);

  /** An instance with two admins, the first with 2FA set up, and a member. */
  async function instanceWithAdmins() {
    const { instance, admin } = await givenInstance(deps);
    const other = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `other@${instance.slug}.test`,
      name: 'Otto Other',
      role: 'admin',
      password: PASSWORD,
    });
    const member = await givenUser(deps, instance);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(adminClient, deps);
    return { instance, admin, other, member, adminClient };
  }

  const verification = { method: 'video_call', reference: 'TICKET-4711', notes: 'Matched the passport photo on a video call.' };

  it('sets up 2FA at the first login and asks for a code at every later one; codes are used once', async () => {
    const { operator, client, secret } = await operatorLoggedIn();
    const me = await client.get('/api/v1/support/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: operator.id, email: operator.email, name: 'Olga Operator' });
    expect(new Date(me.json().stepUpUntil).getTime()).toBeGreaterThan(deps.clock.now().getTime());
    expect((await client.post('/api/v1/support/logout')).statusCode).toBe(204);
    expect(errorCode(await client.get('/api/v1/support/me'))).toBe('unauthenticated');

    const again = new Client(app);
    expect(
      (await again.post('/api/v1/support/login', { email: operator.email.toUpperCase(), password: OPERATOR_PASSWORD })).json(),
    ).toEqual({
      next: 'verify',
      methods: ['totp'],
    });
    // Half logged in: nothing but the next step.
    expect(errorCode(await again.get('/api/v1/support/me'))).toBe('unauthenticated');
    expect(errorCode(await again.post('/api/v1/auth/setup'))).toBe('forbidden');
    const code = oathtool(secret, deps.clock.now());
    expect((await again.post('/api/v1/support/verify', { code })).json()).toEqual({ next: 'done' });
    expect((await again.get('/api/v1/support/me')).statusCode).toBe(200);

    // The same code again, from another login: refused (replay).
    const third = new Client(app);
    await third.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD });
    expect(errorCode(await third.post('/api/v1/support/verify', { code }))).toBe('invalid_credentials');
    // No setup of a second app from a password-only session.
    expect(errorCode(await third.post('/api/v1/auth/setup'))).toBe('forbidden');
  });

  it('answers unknown operators and wrong passwords alike, and locks after repeated failures with an email', async () => {
    const operator = await newOperator();
    const client = new Client(app);
    const unknown = await client.post('/api/v1/support/login', { email: 'nobody@vendor.test', password: OPERATOR_PASSWORD });
    const wrong = await client.post('/api/v1/support/login', { email: operator.email, password: 'not the password' });
    expect([unknown.statusCode, errorCode(unknown)]).toEqual([401, 'invalid_credentials']);
    expect([wrong.statusCode, errorCode(wrong)]).toEqual([401, 'invalid_credentials']);
    // A user's credentials are no operator's: the two kinds of account never mix.
    const { instance, admin } = await givenInstance(deps);
    expect(errorCode(await client.post('/api/v1/support/login', { email: admin.email, password: PASSWORD }))).toBe('invalid_credentials');
    expect(errorCode(await client.login(instance.slug, operator.email, OPERATOR_PASSWORD))).toBe('invalid_credentials');

    for (let i = 0; i < 4; i++) await client.post('/api/v1/support/login', { email: operator.email, password: 'not the password' });
    const locked = await client.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD });
    expect([locked.statusCode, errorCode(locked)]).toEqual([423, 'locked']);
    const mail = (await deliveredTo(deps, operator.email)).find((m) => m.subject.includes('locked'));
    expect(mail).toBeDefined();
  });

  it('keeps instance sessions and operator sessions apart', async () => {
    const { client } = await operatorLoggedIn();
    const { adminClient, instance } = await instanceWithAdmins();
    for (const url of ['/api/v1/me', '/api/v1/admin/users', '/api/v1/admin/audit']) {
      expect(errorCode(await client.get(url))).toBe('unauthenticated');
    }
    for (const url of ['/api/v1/support/me', '/api/v1/support/instances', `/api/v1/support/instances/${instance.slug}/users`]) {
      expect(errorCode(await adminClient.get(url))).toBe('unauthenticated');
    }
    expect(errorCode(await adminClient.post(`/api/v1/support/instances/${instance.slug}/users/x/two-factor/reset`, { verification }))).toBe(
      'unauthenticated',
    );
  });

  it('ends an operator session after 15 idle minutes', async () => {
    const { client } = await operatorLoggedIn();
    deps.clock.advanceSeconds(14 * 60);
    expect((await client.get('/api/v1/support/me')).statusCode).toBe(200);
    deps.clock.advanceSeconds(16 * 60);
    expect(errorCode(await client.get('/api/v1/support/me'))).toBe('unauthenticated');
  });

  it('resets an administrator after a recorded verification: effects, emails to the admins, the audit event', async () => {
    const { client } = await operatorLoggedIn();
    const { instance, admin, other, member, adminClient } = await instanceWithAdmins();

    const found = await client.get(`/api/v1/support/instances?q=${instance.slug.slice(0, 6)}`);
    expect(found.json().instances).toContainEqual({ slug: instance.slug, name: instance.name, plan: 'professional' });
    const users = (await client.get(`/api/v1/support/instances/${instance.slug}/users?q=admin@`)).json();
    expect(users.instance.slug).toBe(instance.slug);
    expect(users.users[0]).toMatchObject({ id: admin.id, role: 'admin', twoFactor: { status: 'active' } });

    const resetUrl = `/api/v1/support/instances/${instance.slug}/users/${admin.id}/two-factor/reset`;
    expect((await client.post(resetUrl, { verification, secret: 'x' })).statusCode).toBe(400);
    expect((await client.post(resetUrl, { verification: { ...verification, secret: 'x' } })).statusCode).toBe(400);
    const refusals: Array<[unknown, string]> = [
      [undefined, 'verification'],
      [{}, 'verification'],
      [{ verification: { reference: 'T-1' } }, 'verification.method'],
      [{ verification: { method: 'gut_feeling', reference: 'T-1' } }, 'verification.method'],
      [{ verification: { method: 'video_call' } }, 'verification.reference'],
      [{ verification: { method: 'video_call', reference: '   ' } }, 'verification.reference'],
      [{ verification: { method: 'other', reference: 'T-1' } }, 'verification.notes'],
    ];
    for (const [body, field] of refusals) {
      const response = await client.post(resetUrl, body);
      expect([response.statusCode, errorCode(response), response.json().error.field]).toEqual([400, 'invalid_request', field]);
    }
    // Still intact after all the refusals.
    expect((await adminClient.get('/api/v1/me')).json().twoFactor.status).toBe('active');

    const reset = await client.post(resetUrl, verification, { 'user-agent': 'SupportConsole/1.0' });
    expect(errorCode(reset)).toBe('invalid_request');
    expect((await client.post(resetUrl, { verification }, { 'user-agent': 'SupportConsole/1.0' })).statusCode).toBe(204);

    // Rule 8's effects.
    expect(errorCode(await adminClient.get('/api/v1/me'))).toBe('unauthenticated');
    expect(await database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', admin.id).execute()).toEqual([]);
    expect(await database.db.selectFrom('backup_codes').select('user_id').where('user_id', '=', admin.id).execute()).toEqual([]);
    const back = new Client(app);
    expect((await back.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('setup');

    // The admin and the other admin are told, with the reference; the member is not.
    const toAdmin = (await deliveredTo(deps, admin.email)).find((m) => m.subject.startsWith('Two-factor authentication was reset'));
    expect(toAdmin?.text).toContain('the support team, after verifying your identity (reference TICKET-4711)');
    expect(toAdmin?.text).toContain(`from the address ${client.ip}`);
    // An administrator has no administrator to turn to: the mail points back to support.
    expect(toAdmin?.text).toContain('contact the support team, quoting the reference TICKET-4711');
    const toOther = (await deliveredTo(deps, other.email)).find((m) => m.subject.includes('Ada Admin'));
    expect(toOther?.text).toContain("a video call, matching an official ID to the account's name");
    expect(toOther?.text).toContain('the support team, after verifying their identity');
    expect(toOther?.text).toContain('TICKET-4711');
    expect((await deliveredTo(deps, member.email)).some((m) => m.text.includes('TICKET-4711'))).toBe(false);

    // The instance's audit log has the operator, the target and the verification record.
    const { secret } = (await back.post('/api/v1/auth/setup')).json();
    await back.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) });
    const events = (await back.get('/api/v1/admin/audit?action=two_factor.reset')).json().events as EventJson[];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: { type: 'operator', label: expect.stringMatching(/^Support: Olga Operator </) },
      target: { id: admin.id },
      details: { by: 'support', verification },
    });
  });

  it('refuses without a fresh code, for members, for unknown instances and users', async () => {
    const { client, secret } = await operatorLoggedIn();
    const { instance, admin, member } = await instanceWithAdmins();
    const other = await givenInstance(deps);
    const url = (slug: string, id: string) => `/api/v1/support/instances/${slug}/users/${id}/two-factor/reset`;

    expect(errorCode(await client.post(url(instance.slug, member.id), { verification }))).toBe('forbidden');
    expect(errorCode(await client.post(url(instance.slug, other.admin.id), { verification }))).toBe('not_found');
    expect(errorCode(await client.post(url('no-such-instance', admin.id), { verification }))).toBe('not_found');
    expect(errorCode(await client.get('/api/v1/support/instances/no-such-instance/users'))).toBe('not_found');

    deps.clock.advanceSeconds(11 * 60);
    await client.get('/api/v1/support/me'); // still active: idle is measured from the last request
    expect(errorCode(await client.post(url(instance.slug, admin.id), { verification }))).toBe('step_up_required');
    expect(
      errorCode(
        await client.post('/api/v1/support/step-up', { code: '000000' === oathtool(secret, deps.clock.now()) ? '111111' : '000000' }),
      ),
    ).toBe('invalid_credentials');
    expect((await client.post('/api/v1/support/step-up', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
    expect((await client.post(url(instance.slug, admin.id), { verification })).statusCode).toBe(204);
    // The operator's own trail: the failed and the good step-up, the logins.
    const own = (await client.get('/api/v1/support/activity')).json().events as EventJson[];
    // The reset belongs to the instance it was made in (so the trail says where); the rest to none.
    expect(own.map((e) => [e.action, e.details, e.instanceId])).toEqual([
      ['two_factor.reset', { by: 'support', verification }, instance.id],
      ['step_up.succeeded', { factor: 'totp' }, null],
      ['step_up.failed', { factor: 'totp' }, null],
      ['support.login_succeeded', { factors: ['password', 'totp'], newAuthenticator: true }, null],
      ['two_factor.set_up', { replaced: false }, null],
    ]);
    expect(errorCode(await new Client(app).get('/api/v1/support/activity'))).toBe('unauthenticated');
  });

  it('asks for a code sooner when the vendor sets a shorter step-up window', async () => {
    const { client, secret } = await operatorLoggedIn();
    const { instance, admin } = await instanceWithAdmins();
    deps.supportStepUpSeconds = 60;
    try {
      deps.clock.advanceSeconds(61);
      expect((await client.get('/api/v1/support/me')).json().stepUpUntil).toBeNull();
      const url = `/api/v1/support/instances/${instance.slug}/users/${admin.id}/two-factor/reset`;
      expect(errorCode(await client.post(url, { verification }))).toBe('step_up_required');
      expect((await client.post('/api/v1/support/step-up', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
      expect((await client.post(url, { verification })).statusCode).toBe(204);
    } finally {
      delete deps.supportStepUpSeconds;
    }
  });

  it('has a break-glass CLI command with the same record, effects and audit event', async () => {
    const { instance, admin, other } = await instanceWithAdmins();
    await expect(
      runOperation(deps, {
        op: 'two-factor.reset',
        input: { instance: instance.slug, email: admin.email, verification: { method: 'phone_callback' }, operator: 'root@host' },
      }),
    ).rejects.toMatchObject({ code: 'invalid_request', details: { field: 'verification.reference' } });
    const result = await runOperation(deps, {
      op: 'two-factor.reset',
      input: {
        instance: instance.slug,
        email: admin.email.toUpperCase(),
        verification: { method: 'phone_callback', reference: 'INC-9' },
        operator: 'root@host',
      },
    });
    expect(result).toMatchObject({ id: admin.id, twoFactor: 'reset' });
    expect(await database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', admin.id).execute()).toEqual([]);
    expect((await deliveredTo(deps, other.email)).find((m) => m.text.includes('INC-9'))).toBeDefined();
    const [event] = await deps.stores.audit.list(instance.id, { action: 'two_factor.reset', limit: 5 });
    expect(event).toMatchObject({
      actor: { type: 'cli', id: null, label: 'CLI: root@host' },
      target: { id: admin.id },
      details: { by: 'cli', verification: { method: 'phone_callback', reference: 'INC-9', notes: null } },
    });
  });

  it('lets the host reset an operator who lost their device, who then sets up a new app', async () => {
    const { operator, secret } = await operatorLoggedIn();
    await runOperation(deps, { op: 'operator.reset-two-factor', input: { email: operator.email, operator: 'root@host' } });
    const client = new Client(app);
    expect((await client.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD })).json().next).toBe('setup');
    const fresh = (await client.post('/api/v1/auth/setup')).json().secret;
    expect(fresh).not.toBe(secret);
    expect((await client.post('/api/v1/auth/setup/confirm', { code: oathtool(fresh, deps.clock.now()) })).json()).toEqual({ next: 'done' });
    const own = await deps.stores.audit.listForOperator(operator.id, 10);
    expect(own.map((e) => e.action)).toEqual([
      'support.login_succeeded',
      'two_factor.set_up',
      'support.login_succeeded',
      'two_factor.set_up',
    ]);
  });
});
