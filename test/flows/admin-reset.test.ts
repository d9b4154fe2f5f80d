import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import type { EventJson } from '../support/audit.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createUser } from '../../src/domain/account/create-user.ts';

const BACKUP_LINE = /^Backup code: (\S+)$/m;

describe.each(engines())('admin reset of 2FA and the audit log on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  /**
   * An instance whose admin is logged in with 2FA of their own (removing an app needs one: issue 10
   * item 2) and a member with 2FA set up and logged in.
   */
  async function memberWithTwoFactor() {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(adminClient, deps);
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    const secret = await enrolTotp(memberClient, deps);
    return { instance, admin, member, adminClient, memberClient, secret };
  }

  const auditOf = async (client: Client, query = '') => {
    const response = await client.get(`/api/v1/admin/audit${query}`);
    expect(response.statusCode).toBe(200);
    return response.json<{ events: EventJson[]; nextCursor: string | null }>();
  };

  it('removes the app, the backup code, known locations and sessions, emails the user, and the user sets 2FA up again', async () => {
    const { instance, admin, member, adminClient, memberClient } = await memberWithTwoFactor();
    const [backupMail] = (await deliveredTo(deps, member.email)).filter((m) => BACKUP_LINE.test(m.text));
    const oldBackupCode = BACKUP_LINE.exec(backupMail!.text)![1]!;
    expect((await memberClient.get('/api/v1/me')).statusCode).toBe(200);

    const reset = await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`, undefined, {
      'user-agent': 'AdminBrowser/1.0',
    });
    expect(reset.statusCode).toBe(204);
    expect(reset.body).toBe('');

    // Sessions: ended at once (ADM-05).
    expect(errorCode(await memberClient.get('/api/v1/me'))).toBe('unauthenticated');
    // Rows: no app, no backup code, no known location.
    for (const table of ['totp_credentials', 'backup_codes', 'known_locations'] as const) {
      expect(await database.db.selectFrom(table).select('user_id').where('user_id', '=', member.id).execute()).toEqual([]);
    }
    // The same browser (it held a known-location cookie) must set an app up again: 2FA stays enabled.
    const again = await memberClient.login(instance.slug, member.email, PASSWORD);
    expect(again.json()).toEqual({ next: 'setup', canPostpone: true });
    // The old backup code is no use at any step.
    expect(errorCode(await memberClient.post('/api/v1/auth/verify', { backupCode: oldBackupCode }))).toBe('forbidden');
    // The admin's list shows a gray shield.
    const listed = (await adminClient.get(`/api/v1/admin/users?q=${encodeURIComponent(member.email)}`)).json().users[0];
    expect(listed.twoFactor).toMatchObject({ enabled: true, associated: false, status: 'pending' });

    // The mail: who, when, what happens next, no secret and no login link that works by itself.
    const notice = (await deliveredTo(deps, member.email)).find((m) => m.subject.startsWith('Two-factor authentication was reset'));
    expect(notice).toBeDefined();
    expect(notice!.text).toContain(`your administrator Ada Admin (${admin.email})`);
    expect(notice!.text).toContain(`from the address ${adminClient.ip}`);
    expect(notice!.text).toContain('set up your authenticator app again');
    expect(notice!.text).not.toMatch(BACKUP_LINE);

    // The user sets up a new app with the new secret (never one the admin saw: ADM-04).
    const setup = await memberClient.post('/api/v1/auth/setup');
    const { secret } = setup.json();
    expect((await memberClient.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({
      next: 'done',
    });
    // With an app again, a login from elsewhere asks for a code: the old backup code is refused there too.
    const elsewhere = new Client(app);
    expect((await elsewhere.login(instance.slug, member.email, PASSWORD)).json().next).toBe('verify');
    expect(errorCode(await elsewhere.post('/api/v1/auth/verify', { backupCode: oldBackupCode }))).toBe('invalid_credentials');

    // The audit log tells the story.
    const { events } = await auditOf(adminClient, `?userId=${member.id}`);
    const resetEvent = events.find((e) => e.action === 'two_factor.reset')!;
    expect(resetEvent).toMatchObject({
      actor: { type: 'user', id: admin.id, label: `Ada Admin <${admin.email}>` },
      target: { id: member.id, label: `Max Member <${member.email}>` },
      userAgent: 'AdminBrowser/1.0',
      details: { by: 'admin' },
    });
    expect(resetEvent.ip).toBe(adminClient.ip);
    const order = events.map((e) => e.action).reverse();
    expect(order.indexOf('two_factor.set_up')).toBeLessThan(order.indexOf('two_factor.reset'));
    expect(order.lastIndexOf('two_factor.set_up')).toBeGreaterThan(order.indexOf('two_factor.reset'));
  });

  it('refuses the admin’s own account, other instances, unknown ids and members, and changes nothing', async () => {
    const { admin, member, adminClient, memberClient } = await memberWithTwoFactor();
    const other = await givenInstance(deps);
    const stranger = await givenUser(deps, other.instance);

    expect(errorCode(await adminClient.post(`/api/v1/admin/users/${admin.id}/two-factor/reset`))).toBe('cannot_reset_self');
    expect((await adminClient.post(`/api/v1/admin/users/${admin.id}/two-factor/reset`)).statusCode).toBe(403);
    const foreign = await adminClient.post(`/api/v1/admin/users/${stranger.id}/two-factor/reset`);
    expect(foreign.statusCode).toBe(404);
    expect(errorCode(foreign)).toBe('not_found');
    expect(errorCode(await adminClient.post('/api/v1/admin/users/no-such-user/two-factor/reset'))).toBe('not_found');
    // A member calling the admin route (with a fresh code, even) is refused.
    const peer = await givenUser(
      deps,
      (await deps.stores.instances.findBySlug((await memberClient.get('/api/v1/me')).json().instance.slug))!,
    );
    expect(errorCode(await memberClient.post(`/api/v1/admin/users/${peer.id}/two-factor/reset`))).toBe('forbidden');
    expect(errorCode(await memberClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`))).toBe('forbidden');
    // Unexpected body fields are a 400, not an ignored extra.
    expect(errorCode(await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`, { secret: 'x' }))).toBe('invalid_request');

    expect(await database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', member.id).execute()).toHaveLength(1);
    expect((await memberClient.get('/api/v1/me')).statusCode).toBe(200);
    const { events } = await auditOf(adminClient, '?action=two_factor.reset');
    expect(events).toEqual([]);
  });

  it('needs a fresh code from an admin whose login skipped it, and keeps a reason', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(adminClient, deps);
    deps.clock.advanceSeconds(11 * 60);
    // From the known location: no code at login, so none verified in the last 10 minutes.
    expect((await adminClient.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
    expect(errorCode(await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`))).toBe('step_up_required');
    expect((await adminClient.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
    expect(
      (await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`, { reason: 'Lost phone, ticket 42' })).statusCode,
    ).toBe(204);
    const { events } = await auditOf(adminClient);
    expect(events.map((e) => e.action).slice(0, 3)).toEqual(['two_factor.reset', 'step_up.succeeded', 'login.succeeded']);
    expect(events[0]!.details).toEqual({ by: 'admin', reason: 'Lost phone, ticket 42' });
    expect(events[2]!.details).toEqual({ factors: ['password', 'known_location'] });
  });

  it('lifts a locked second factor, so the reset user can get back in', async () => {
    const { instance, member, adminClient, secret } = await memberWithTwoFactor();
    const guesser = new Client(app);
    await guesser.login(instance.slug, member.email, PASSWORD);
    const wrong = oathtool(secret, deps.clock.now()) === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await guesser.post('/api/v1/auth/verify', { code: wrong });
    expect(errorCode(await guesser.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) }))).toBe('locked');
    expect((await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`)).statusCode).toBe(204);
    const back = new Client(app);
    expect((await back.login(instance.slug, member.email, PASSWORD)).json().next).toBe('setup');
    const { events } = await auditOf(adminClient, `?userId=${member.id}`);
    expect(events.filter((e) => e.action === 'login.failed').map((e) => e.details)).toContainEqual({ factor: 'totp', during: 'login' });
    expect(events.find((e) => e.action === 'account.locked')?.details).toEqual({ factor: 'second_factor', failures: 5, permanent: false });
  });

  it('lets an admin with 2FA (not one without) reset another admin, and tells every other admin', async () => {
    const { instance, admin } = await givenInstance(deps);
    const second = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `second@${instance.slug}.test`,
      name: 'Sam Second',
      role: 'admin',
      password: PASSWORD,
    });
    const third = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `third@${instance.slug}.test`,
      name: 'Tia Third',
      role: 'admin',
      password: PASSWORD,
    });
    const secondClient = new Client(app);
    await secondClient.login(instance.slug, second.email, PASSWORD);
    await enrolTotp(secondClient, deps);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    // A password-only admin cannot strip another admin's 2FA (NIST SP 800-63B §3.2.2).
    expect(errorCode(await adminClient.post(`/api/v1/admin/users/${second.id}/two-factor/reset`))).toBe('forbidden');
    expect(await database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', second.id).execute()).toHaveLength(1);
    await enrolTotp(adminClient, deps);
    expect((await adminClient.post(`/api/v1/admin/users/${second.id}/two-factor/reset`)).statusCode).toBe(204);
    const told = (await deliveredTo(deps, third.email)).find((m) => m.subject.includes('Sam Second'));
    expect(told?.text).toContain(`Ada Admin (${admin.email})`);
    expect((await deliveredTo(deps, admin.email)).find((m) => m.subject.includes('Sam Second'))).toBeUndefined();
    expect((await deliveredTo(deps, second.email)).find((m) => m.subject.startsWith('Two-factor authentication was reset'))).toBeDefined();
  });

  it('pages the audit log by cursor, filters by action and user, and never shows another instance', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    for (let i = 0; i < 3; i++) await new Client(app).login(instance.slug, member.email, PASSWORD);
    await new Client(app).login(instance.slug, member.email, 'not the password');
    // An email nobody has: refused the same way, and kept nowhere (the list below has no event for it).
    expect(errorCode(await new Client(app).login(instance.slug, `ghost@${instance.slug}.test`, 'not the password'))).toBe(
      'invalid_credentials',
    );
    const other = await givenInstance(deps);
    await new Client(app).login(other.instance.slug, other.admin.email, PASSWORD);

    const all = await auditOf(adminClient);
    expect(all.events.every((e) => e.target?.id !== other.admin.id && e.actor.id !== other.admin.id)).toBe(true);
    expect(all.events.map((e) => e.action)).toEqual([
      'login.failed',
      'login.succeeded',
      'login.succeeded',
      'login.succeeded',
      'login.succeeded',
      'user.created',
      'user.created',
    ]);
    expect(all.events[0]).toMatchObject({ target: { id: member.id }, details: { factor: 'password' } });
    expect(all.events[6]).toMatchObject({
      actor: { type: 'system' },
      target: { id: admin.id },
      details: { role: 'admin', firstAdmin: true },
    });

    const first = await auditOf(adminClient, '?limit=3');
    expect(first.events.map((e) => e.id)).toEqual(all.events.slice(0, 3).map((e) => e.id));
    const second = await auditOf(adminClient, `?limit=3&cursor=${first.nextCursor}`);
    expect(second.events.map((e) => e.id)).toEqual(all.events.slice(3, 6).map((e) => e.id));
    const last = await auditOf(adminClient, `?limit=3&cursor=${second.nextCursor}`);
    expect(last.events.map((e) => e.id)).toEqual(all.events.slice(6).map((e) => e.id));
    expect(last.nextCursor).toBeNull();

    expect((await auditOf(adminClient, '?action=login.failed')).events).toHaveLength(1);
    expect((await auditOf(adminClient, `?userId=${admin.id}`)).events.map((e) => e.action)).toEqual(['login.succeeded', 'user.created']);
    // The other instance's admin sees nothing of ours, even by naming our user.
    const otherClient = new Client(app);
    await otherClient.login(other.instance.slug, other.admin.email, PASSWORD);
    expect((await auditOf(otherClient, `?userId=${member.id}`)).events).toEqual([]);

    for (const bad of ['?action=nope', '?limit=0', '?limit=500', '?cursor=abc', '?cursor=-1', '?extra=1']) {
      const response = await adminClient.get(`/api/v1/admin/audit${bad}`);
      expect([response.statusCode, errorCode(response)]).toEqual([400, 'invalid_request']);
    }
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    expect(errorCode(await memberClient.get('/api/v1/admin/audit'))).toBe('forbidden');
    expect(errorCode(await memberClient.get('/api/v1/admin/audit/export'))).toBe('forbidden');
    expect(errorCode(await new Client(app).get('/api/v1/admin/audit'))).toBe('unauthenticated');
  });

  it('exports the filtered log as CSV, defusing cells a spreadsheet would run as formulas', async () => {
    const { instance, admin, member, adminClient } = await memberWithTwoFactor();
    const evil = new Client(app);
    await evil.login(instance.slug, member.email, 'wrong password');
    await evil.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { instance: instance.slug, email: member.email, password: 'wrong again' },
      headers: { 'user-agent': '=HYPERLINK("http://evil.test","x"),"quoted"' },
    });
    await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`);

    const csv = await adminClient.get('/api/v1/admin/audit/export');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="keyward-audit-${instance.slug}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
    );
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('time,action,actor_type,actor,target,ip,user_agent,details');
    expect(lines[1]).toContain('"two_factor.reset","user",');
    expect(lines[1]).toContain(`"Ada Admin <${admin.email}>","Max Member <${member.email}>"`);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil.test"",""x""),""quoted"""`);
    expect(csv.body).not.toMatch(/(^|,)"=/m);

    const filtered = await adminClient.get('/api/v1/admin/audit/export?action=login.failed');
    expect(filtered.body.trim().split('\r\n')).toHaveLength(3);
    expect(errorCode(await adminClient.get('/api/v1/admin/audit/export?action=nope'))).toBe('invalid_request');
  });

  it('shows users their own recent security activity, including what an admin did to them', async () => {
    const { instance, admin, member, adminClient, secret } = await memberWithTwoFactor();
    await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`);
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    const { secret: fresh } = (await memberClient.post('/api/v1/auth/setup')).json();
    await memberClient.post('/api/v1/auth/setup/confirm', { code: oathtool(fresh, deps.clock.now()) });
    expect(fresh).not.toBe(secret);
    const activity = await memberClient.get('/api/v1/me/activity');
    expect(activity.statusCode).toBe(200);
    const events = activity.json().events as EventJson[];
    expect(events.map((e) => e.action)).toEqual([
      'login.succeeded',
      'two_factor.set_up',
      'two_factor.reset',
      'two_factor.set_up',
      'two_factor.enabled',
      'login.succeeded',
      'user.created',
    ]);
    expect(events[2]!.actor.label).toBe(`Ada Admin <${admin.email}>`);
    // The admin's address and browser are not the member's to see; the member's own are.
    expect([events[2]!.ip, events[2]!.userAgent]).toEqual([null, null]);
    expect(events[0]!.ip).toBe(memberClient.ip);
    expect(events[0]!.details).toEqual({ factors: ['password', 'totp'], newAuthenticator: true });
    // Only their own: the admin's login is not in it.
    expect(events.every((e) => e.target?.id === member.id)).toBe(true);
    expect(errorCode(await new Client(app).get('/api/v1/me/activity'))).toBe('unauthenticated');
    deps.clock.advanceSeconds(30);
    await loginWithCode(new Client(app), deps, instance.slug, member.email, fresh);
  });

  it('answers 400, not 500, to text the database cannot store, and changes nothing', async () => {
    const { member, adminClient } = await memberWithTwoFactor();
    for (const reason of ['a\u0000b', 'a\ud800b']) {
      const response = await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`, { reason });
      expect([response.statusCode, errorCode(response), response.json().error.field]).toEqual([400, 'invalid_request', 'reason']);
    }
    for (const url of ['/api/v1/admin/audit?userId=%00', '/api/v1/admin/audit/export?userId=%00', '/api/v1/admin/users?q=%00']) {
      const response = await adminClient.get(url);
      expect([response.statusCode, errorCode(response)]).toEqual([400, 'invalid_request']);
    }
    expect(await database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', member.id).execute()).toHaveLength(1);
  });

  it('keeps the log append-only: the database refuses to change or remove an event', async () => {
    const { adminClient } = await memberWithTwoFactor();
    const [event] = (await auditOf(adminClient)).events;
    await expect(sql`update audit_events set action = 'login.failed' where id = ${event!.id}`.execute(database.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from audit_events where id = ${event!.id}`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_events`.execute(database.db)).rejects.toThrow(/append-only/);
    expect((await auditOf(adminClient)).events[0]).toEqual(event);
  });
});
