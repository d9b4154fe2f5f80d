import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, useTestApp } from '../support/app.ts';
import type { EventJson } from '../support/audit.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';

const BACKUP_LINE = /^Backup code: (\S+)$/m;

/** Every security event of the list leaves its trace, with actor, target, IP and user agent. */
describe.each(engines())('audit events on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  const eventsOf = async (admin: Client, query = '') => (await admin.get(`/api/v1/admin/audit${query}`)).json().events as EventJson[];

  it('records policy, settings, role, status and invitation changes with who did them and what changed', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const member = await givenUser(deps, instance);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const ua = { 'user-agent': 'AuditTest/2.0' };

    await client.request({
      method: 'PUT',
      url: '/api/v1/admin/password-policy',
      payload: { twoFactor: { autoEnable: true }, password: { minLength: 14 } },
      headers: ua,
    });
    // The same policy again changes nothing and writes nothing.
    await client.request({
      method: 'PUT',
      url: '/api/v1/admin/password-policy',
      payload: { twoFactor: { autoEnable: true } },
      headers: ua,
    });
    await client.request({
      method: 'PUT',
      url: '/api/v1/admin/instance-settings',
      payload: { knownLocations: { trustDays: 7 } },
      headers: ua,
    });
    await client.request({ method: 'PATCH', url: `/api/v1/admin/users/${member.id}`, payload: { role: 'admin' }, headers: ua });
    await client.request({ method: 'PATCH', url: `/api/v1/admin/users/${member.id}`, payload: { status: 'disabled' }, headers: ua });
    await client.request({ method: 'PATCH', url: `/api/v1/admin/users/${member.id}`, payload: { status: 'active' }, headers: ua });
    const invited = (
      await client.post('/api/v1/admin/users', { email: `new@${instance.slug}.test`, name: 'Nia New', role: 'member' }, ua)
    ).json();

    const events = await eventsOf(client);
    expect(events.map((e) => e.action).slice(0, 6)).toEqual([
      'user.invited',
      'user.enabled',
      'user.disabled',
      'user.role_changed',
      'settings.updated',
      'policy.updated',
    ]);
    const [inviteEvent, , , roleEvent, settingsEvent, policyEvent] = events;
    for (const event of events.slice(0, 6)) {
      expect(event).toMatchObject({ actor: { type: 'user', id: admin.id }, userAgent: 'AuditTest/2.0', ip: client.ip });
    }
    expect(inviteEvent).toMatchObject({
      target: { id: invited.id, label: `Nia New <new@${instance.slug}.test>` },
      details: { role: 'member' },
    });
    expect(roleEvent).toMatchObject({ target: { id: member.id }, details: { from: 'member', to: 'admin' } });
    expect(settingsEvent!.details).toEqual({ before: { 'knownLocations.trustDays': 30 }, after: { 'knownLocations.trustDays': 7 } });
    expect(policyEvent!.details).toEqual({
      before: { 'twoFactor.autoEnable': false, 'password.minLength': 12 },
      after: { 'twoFactor.autoEnable': true, 'password.minLength': 14 },
    });
    expect(events.filter((e) => e.action === 'policy.updated')).toHaveLength(1);
  });

  it('records the life of a second factor: enabled, set up, backup code used and replaced, step-up, turned off', async () => {
    const { instance, admin } = await givenInstance(deps);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const member = await givenUser(deps, instance);
    const client = new Client(app);
    await client.login(instance.slug, member.email, PASSWORD);
    const secret = await enrolTotp(client, deps);

    const [mail] = (await deliveredTo(deps, member.email)).filter((m) => BACKUP_LINE.test(m.text));
    const elsewhere = new Client(app);
    await elsewhere.login(instance.slug, member.email, PASSWORD);
    await elsewhere.post('/api/v1/auth/verify', { backupCode: 'WRONG-CODE-0000-0000' });
    await elsewhere.post('/api/v1/auth/verify', { backupCode: BACKUP_LINE.exec(mail!.text)![1] });
    await elsewhere.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) });
    await elsewhere.post('/api/v1/me/backup-code');
    deps.clock.advanceSeconds(30);
    await elsewhere.request({
      method: 'PUT',
      url: '/api/v1/me/two-factor',
      payload: { enabled: false, currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) },
    });

    const events = await eventsOf(adminClient, `?userId=${member.id}`);
    expect(events.map((e) => [e.action, e.details])).toEqual([
      ['two_factor.disabled', { hadApp: true }],
      ['backup_code.replaced', {}],
      ['step_up.succeeded', { factor: 'totp' }],
      ['backup_code.used', { during: 'login', replaced: true }],
      ['login.succeeded', { factors: ['password', 'backup_code'] }],
      ['login.failed', { factor: 'backup_code', during: 'login' }],
      ['two_factor.set_up', { replaced: false }],
      ['two_factor.enabled', {}],
      ['login.succeeded', { factors: ['password'] }],
      ['user.created', { role: 'member' }],
    ]);
    // A failed sign-in names the account tried, not a person; everything else was the member.
    expect(events[5]!.actor).toEqual({ type: 'user', id: null, label: `Sign-in attempt as ${member.email}` });
    expect(events.filter((e) => e.action !== 'login.failed' && e.action !== 'user.created').every((e) => e.actor.id === member.id)).toBe(
      true,
    );
    expect(events.every((e) => e.target?.id === member.id)).toBe(true);
  });

  // SPEC §1: an audit event records "actor, action, target, instance, time, IP, user agent, details".
  it('answers each event with the instance it belongs to, in the log and in My Profile', async () => {
    const { instance, admin } = await givenInstance(deps);
    const other = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await new Client(app).login(other.instance.slug, other.admin.email, PASSWORD);
    const logged = await eventsOf(client);
    expect(logged.map((e) => e.action)).toEqual(['login.succeeded', 'user.created']);
    expect(logged.map((e) => e.instanceId)).toEqual([instance.id, instance.id]);
    const own = (await client.get('/api/v1/me/activity')).json().events as EventJson[];
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((e) => e.instanceId === instance.id)).toBe(true);
  });

  it('never writes a code, a password or a secret into an event', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    const code = oathtool(secret, deps.clock.now());
    expect((await client.post('/api/v1/auth/step-up', { code })).statusCode).toBe(204);
    const [mail] = (await deliveredTo(deps, admin.email)).filter((m) => BACKUP_LINE.test(m.text));
    const csv = (await client.get('/api/v1/admin/audit/export')).body;
    const json = JSON.stringify(await eventsOf(client));
    for (const secretValue of [PASSWORD, secret, code, BACKUP_LINE.exec(mail!.text)![1]!]) {
      expect(csv).not.toContain(secretValue);
      expect(json).not.toContain(secretValue);
    }
  });

  it('filters the log and its CSV export by a date range, and refuses a range that ends before it starts', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const client = new Client(app);
    // A fresh login for each change: days pass between them (sessions time out).
    const put = async (trustDays: number) => {
      await client.login(instance.slug, admin.email, PASSWORD);
      const saved = await client.request({
        method: 'PUT',
        url: '/api/v1/admin/instance-settings',
        payload: { knownLocations: { trustDays } },
      });
      expect(saved.statusCode).toBe(200);
    };
    await put(5);
    const first = deps.clock.now();
    deps.clock.advanceSeconds(3 * 86400);
    const middle = deps.clock.now();
    await put(6);
    deps.clock.advanceSeconds(3 * 86400);
    await put(7);
    const iso = (at: Date, plusSeconds = 0) => new Date(at.getTime() + plusSeconds * 1000).toISOString();
    const trustChanges = async (query: string) =>
      (await eventsOf(client, `?action=settings.updated&${query}`)).map((e) => (e.details as { after: Record<string, number> }).after);

    expect(await trustChanges('')).toHaveLength(3);
    // [from, to): from includes its instant, to does not.
    expect(await trustChanges(`from=${iso(middle)}&to=${iso(middle, 86400)}`)).toEqual([{ 'knownLocations.trustDays': 6 }]);
    expect(await trustChanges(`to=${iso(middle)}`)).toEqual([{ 'knownLocations.trustDays': 5 }]);
    expect(await trustChanges(`from=${encodeURIComponent(iso(first, 60).replace('Z', '+00:00'))}`)).toHaveLength(2);
    const csv = (await client.get(`/api/v1/admin/audit/export?action=settings.updated&from=${iso(middle)}&to=${iso(middle, 86400)}`)).body;
    expect(csv.trim().split('\n')).toHaveLength(2); // the header and the one event
    expect(csv).toContain('settings.updated');

    for (const [query, field] of [
      [`from=${iso(middle)}&to=${iso(first)}`, 'to'],
      [`from=${iso(middle)}&to=${iso(middle)}`, 'to'],
      ['from=yesterday', 'from'],
      ['to=2026-12-01', 'to'],
    ] as const) {
      for (const path of ['/api/v1/admin/audit', '/api/v1/admin/audit/export']) {
        const refused = await client.get(`${path}?${query}`);
        expect(refused.statusCode, `${path}?${query}`).toBe(400);
        expect(refused.json().error).toMatchObject({ code: 'invalid_request', field });
      }
    }
  });
});
