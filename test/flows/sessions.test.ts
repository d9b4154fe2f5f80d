import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import type { EventJson } from '../support/audit.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { networkOf } from '../../src/domain/known-location/known-location.ts';
import { newSessionToken, sessionHandle } from '../../src/domain/session/session.ts';
import { addSeconds } from '../../src/domain/shared/clock.ts';
import { MAX_LISTED_SESSIONS } from '../../src/domain/session/manage-sessions.ts';
import { personLabel } from '../../src/domain/audit/audit-event.ts';

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

interface SessionJson {
  id: string;
  device: string;
  network: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
  secondFactorVerified: boolean;
}

describe.each(engines())('My Profile → Sessions and the admin’s "End all sessions" on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  const loginAs = async (slug: string, email: string, userAgent?: string) => {
    const client = new Client(app);
    const answer = await client.post(
      '/api/v1/auth/login',
      { instance: slug, email, password: PASSWORD },
      userAgent ? { 'user-agent': userAgent } : {},
    );
    expect(answer.statusCode).toBe(200);
    return client;
  };
  const sessionsOf = async (client: Client) => {
    const answer = await client.get('/api/v1/me/sessions');
    expect(answer.statusCode).toBe(200);
    return answer.json<{ sessions: SessionJson[]; more: boolean }>();
  };
  const del = (client: Client, url: string) => client.request({ method: 'DELETE', url });
  const auditOf = async (client: Client, action: string) => {
    const answer = await client.get(`/api/v1/admin/audit?action=${action}`);
    expect(answer.statusCode).toBe(200);
    return answer.json<{ events: EventJson[] }>().events;
  };
  const sessionRows = (userId: string) => database.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute();

  it('lists the full sessions with device, network, times and this one; never an address or a cookie id', async () => {
    const { instance, admin } = await givenInstance(deps);
    const laptop = await loginAs(instance.slug, admin.email, FIREFOX_LINUX);
    deps.clock.advanceSeconds(120);
    const phone = await loginAs(instance.slug, admin.email, SAFARI_IPHONE);
    deps.clock.advanceSeconds(120);

    const { sessions, more } = await sessionsOf(phone);
    expect(more).toBe(false);
    expect(sessions).toHaveLength(2);
    const [mine, other] = sessions as [SessionJson, SessionJson];
    expect(mine).toMatchObject({ device: 'Safari on iOS', network: networkOf(phone.ip), current: true, secondFactorVerified: false });
    expect(other).toMatchObject({ device: 'Firefox on Linux', network: networkOf(laptop.ip), current: false, secondFactorVerified: false });
    expect(new Date(mine.lastUsedAt).getTime()).toBe(deps.clock.now().getTime());
    expect(new Date(other.lastUsedAt).getTime()).toBe(addSeconds(deps.clock.now(), -240).getTime());
    expect(new Date(other.createdAt).getTime()).toBe(addSeconds(deps.clock.now(), -240).getTime());
    expect(new Date(mine.expiresAt).getTime()).toBe(addSeconds(deps.clock.now(), 12 * 3600 - 120).getTime());
    const body = JSON.stringify(sessions);
    for (const client of [phone, laptop]) {
      expect(body).not.toContain(client.ip);
      expect(body).not.toContain(client.cookies.get('keyward_session')!.split('.')[0]);
    }
    expect(mine.id).toBe(sessionHandle(phone.cookies.get('keyward_session')!.split('.')[0]!));
  });

  it('says whether a code was entered in each session, and leaves out logins still waiting for their code', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = await loginAs(instance.slug, admin.email);
    const secret = await enrolTotp(client, deps);
    const coded = new Client(app);
    await loginWithCode(coded, deps, instance.slug, admin.email, secret);
    const waiting = new Client(app);
    expect((await waiting.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    // The enrolling browser logs in again from its known location: no code asked.
    expect(
      (
        await client.post(
          '/api/v1/auth/login',
          { instance: instance.slug, email: admin.email, password: PASSWORD },
          { 'user-agent': FIREFOX_LINUX },
        )
      ).json(),
    ).toEqual({ next: 'done' });
    const listed = (await sessionsOf(client)).sessions;
    expect(listed).toHaveLength(2);
    expect(listed.find((s) => s.current)).toMatchObject({ device: 'Firefox on Linux', secondFactorVerified: false });
    expect(listed.find((s) => !s.current)).toMatchObject({ network: networkOf(coded.ip), secondFactorVerified: true });
  });

  it('does not list sessions that went idle or expired', async () => {
    const { instance, admin } = await givenInstance(deps);
    await loginAs(instance.slug, admin.email);
    deps.clock.advanceSeconds(20 * 60);
    const client = await loginAs(instance.slug, admin.email);
    deps.clock.advanceSeconds(11 * 60); // the first is idle for 31 minutes now
    expect((await sessionsOf(client)).sessions).toHaveLength(1);
  });

  it('ends the current session as a logout: 204, the cookie cleared, the next request 401', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = await loginAs(instance.slug, admin.email);
    const [mine] = (await sessionsOf(client)).sessions;
    const ended = await del(client, `/api/v1/me/sessions/${mine!.id}`);
    expect(ended.statusCode).toBe(204);
    expect(ended.cookies.find((c) => c.name === 'keyward_session')?.value).toBe('');
    expect(client.cookies.has('keyward_session')).toBe(false);
    expect(await sessionRows(admin.id)).toEqual([]);
  });

  it('records a logout as session.logged_out by the user, from their browser; a logout without a live session records nothing', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const client = await loginAs(instance.slug, member.email, FIREFOX_LINUX);
    const out = await client.post('/api/v1/auth/logout', {}, { 'user-agent': FIREFOX_LINUX });
    expect(out.statusCode).toBe(204);
    expect(await sessionRows(member.id)).toEqual([]);
    // Again, with no session left: 204, and no second event.
    expect((await client.post('/api/v1/auth/logout', {})).statusCode).toBe(204);
    const events = await auditOf(await loginAs(instance.slug, admin.email), 'session.logged_out');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      // The statement writes the labels itself: the same as personLabel's.
      actor: { type: 'user', id: member.id, label: personLabel(member) },
      target: { id: member.id, label: personLabel(member) },
      userAgent: FIREFOX_LINUX,
      details: { via: 'keyward' },
    });
  });

  it('ends one other session and records it with its device and network', async () => {
    const { instance, admin } = await givenInstance(deps);
    const laptop = await loginAs(instance.slug, admin.email, FIREFOX_LINUX);
    const phone = await loginAs(instance.slug, admin.email, SAFARI_IPHONE);
    const other = (await sessionsOf(phone)).sessions.find((s) => !s.current)!;
    const ended = await del(phone, `/api/v1/me/sessions/${other.id}`);
    expect(ended.statusCode).toBe(204);
    expect(ended.headers['set-cookie']).toBeUndefined();
    expect(errorCode(await laptop.get('/api/v1/me'))).toBe('unauthenticated');
    expect(errorCode(await del(phone, `/api/v1/me/sessions/${other.id}`))).toBe('not_found');
    const [event] = await auditOf(phone, 'session.ended');
    expect(event).toMatchObject({
      actor: { type: 'user', id: admin.id },
      target: { id: admin.id },
      details: { device: 'Firefox on Linux', network: networkOf(laptop.ip), current: false },
    });
  });

  it('answers 404 for another user’s session, another instance’s and an unknown id, and ends nothing', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const memberClient = await loginAs(instance.slug, member.email);
    const [memberSession] = (await sessionsOf(memberClient)).sessions;
    const adminClient = await loginAs(instance.slug, admin.email);
    const other = await givenInstance(deps);
    const otherClient = await loginAs(other.instance.slug, other.admin.email);
    const [otherSession] = (await sessionsOf(otherClient)).sessions;

    for (const id of [memberSession!.id, otherSession!.id, 'f'.repeat(64), 'not-a-session']) {
      const answer = await del(adminClient, `/api/v1/me/sessions/${id}`);
      expect(answer.statusCode).toBe(404);
      expect(errorCode(answer)).toBe('not_found');
    }
    expect((await memberClient.get('/api/v1/me')).statusCode).toBe(200);
    expect((await otherClient.get('/api/v1/me')).statusCode).toBe(200);
    expect(await auditOf(adminClient, 'session.ended')).toEqual([]);
  });

  it('ends all other sessions, pending logins included, keeps this one and records the count', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = await loginAs(instance.slug, admin.email);
    await enrolTotp(client, deps);
    const others = [await loginAs(instance.slug, admin.email), await loginAs(instance.slug, admin.email)];
    const waiting = new Client(app);
    expect((await waiting.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    expect((await del(client, '/api/v1/me/sessions')).json()).toEqual({ ended: 3 });
    for (const other of others) expect(errorCode(await other.get('/api/v1/me'))).toBe('unauthenticated');
    expect(errorCode(await waiting.post('/api/v1/auth/verify', { code: '123456' }))).toBe('unauthenticated');
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
    expect(await sessionRows(admin.id)).toHaveLength(1);
    const [event] = await auditOf(client, 'session.others_ended');
    expect(event).toMatchObject({ actor: { id: admin.id }, target: { id: admin.id }, details: { count: 3 } });
    // Nothing left to end: no event for nothing.
    expect((await del(client, '/api/v1/me/sessions')).json()).toEqual({ ended: 0 });
    expect(await auditOf(client, 'session.others_ended')).toHaveLength(1);
  });

  it('lists at most a bounded number, this session first, and says that more exist', async () => {
    const { instance, admin } = await givenInstance(deps);
    const now = deps.clock.now();
    for (let i = 0; i < MAX_LISTED_SESSIONS + 2; i += 1) {
      const token = newSessionToken();
      await deps.stores.forInstance(instance.id).sessions.rotate(null, {
        id: token.id,
        secretHash: token.secretHash,
        userId: admin.id,
        stage: 'done',
        lastSeenAt: addSeconds(now, 60),
        expiresAt: addSeconds(now, 3600),
        ip: '192.0.2.1',
        userAgent: null,
        secondFactorAt: null,
      });
    }
    const client = await loginAs(instance.slug, admin.email);
    const { sessions, more } = await sessionsOf(client);
    expect(sessions).toHaveLength(MAX_LISTED_SESSIONS);
    expect(more).toBe(true);
    expect(sessions[0]!.current).toBe(true);
    expect((await del(client, '/api/v1/me/sessions')).json()).toEqual({ ended: MAX_LISTED_SESSIONS + 2 });
  });

  it('lets an administrator end all sessions of a user: the user is logged out, emailed, and the event names both', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const memberClients = [await loginAs(instance.slug, member.email), await loginAs(instance.slug, member.email)];
    const adminClient = await loginAs(instance.slug, admin.email);
    const answer = await adminClient.request({
      method: 'DELETE',
      url: `/api/v1/admin/users/${member.id}/sessions`,
      headers: { 'user-agent': FIREFOX_LINUX },
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ ended: 2 });
    for (const client of memberClients) expect(errorCode(await client.get('/api/v1/me'))).toBe('unauthenticated');
    expect((await adminClient.get('/api/v1/me')).statusCode).toBe(200);
    expect(await sessionRows(member.id)).toEqual([]);

    const [event] = await auditOf(adminClient, 'session.ended_by_admin');
    expect(event).toMatchObject({
      actor: { type: 'user', id: admin.id },
      target: { id: member.id },
      userAgent: FIREFOX_LINUX,
      details: { count: 2 },
    });
    const mails = (await deliveredTo(deps, member.email)).filter((m) => m.subject.startsWith('You were logged out'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(admin.email);
    // The member sees it in their own activity, without the admin's address.
    const memberAgain = await loginAs(instance.slug, member.email);
    const activity = (await memberAgain.get('/api/v1/me/activity')).json().events as EventJson[];
    expect(activity.find((e) => e.action === 'session.ended_by_admin')).toMatchObject({ ip: null, userAgent: null });
  });

  it('ends all of an administrator’s own sessions except the one that asked, and mails nobody', async () => {
    const { instance, admin } = await givenInstance(deps);
    const elsewhere = await loginAs(instance.slug, admin.email);
    const adminClient = await loginAs(instance.slug, admin.email);
    expect((await del(adminClient, `/api/v1/admin/users/${admin.id}/sessions`)).json()).toEqual({ ended: 1 });
    expect(errorCode(await elsewhere.get('/api/v1/me'))).toBe('unauthenticated');
    expect((await adminClient.get('/api/v1/me')).statusCode).toBe(200);
    expect((await auditOf(adminClient, 'session.ended_by_admin'))[0]).toMatchObject({ details: { count: 1, keptCurrent: true } });
    expect((await deliveredTo(deps, admin.email)).filter((m) => m.subject.startsWith('You were logged out'))).toEqual([]);
  });

  it('refuses members (403), other instances’ users (404), and asks an admin who skipped the code to step up first', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const memberClient = await loginAs(instance.slug, member.email);
    expect(errorCode(await del(memberClient, `/api/v1/admin/users/${admin.id}/sessions`))).toBe('forbidden');

    const other = await givenInstance(deps);
    const otherClient = await loginAs(other.instance.slug, other.admin.email);
    const adminClient = await loginAs(instance.slug, admin.email);
    expect(errorCode(await del(adminClient, `/api/v1/admin/users/${other.admin.id}/sessions`))).toBe('not_found');
    expect(errorCode(await del(adminClient, '/api/v1/admin/users/no-such-user/sessions'))).toBe('not_found');
    expect((await otherClient.get('/api/v1/me')).statusCode).toBe(200);

    // An admin with 2FA, logged in from a known location (no code): step-up first (rule 12).
    const secret = await enrolTotp(adminClient, deps);
    const known = adminClient;
    expect((await known.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
    expect(errorCode(await del(known, `/api/v1/admin/users/${member.id}/sessions`))).toBe('step_up_required');
    expect((await memberClient.get('/api/v1/me')).statusCode).toBe(200);
    expect(await auditOf(adminClient, 'session.ended_by_admin')).toEqual([]);
    expect((await known.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
    expect((await del(known, `/api/v1/admin/users/${member.id}/sessions`)).json()).toEqual({ ended: 1 });
    expect(errorCode(await memberClient.get('/api/v1/me'))).toBe('unauthenticated');
  });

  it('needs a full session: a login waiting for its code can neither list nor end', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = await loginAs(instance.slug, admin.email);
    await enrolTotp(client, deps);
    const waiting = new Client(app);
    expect((await waiting.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    const [mine] = (await sessionsOf(client)).sessions;
    expect(errorCode(await waiting.get('/api/v1/me/sessions'))).toBe('unauthenticated');
    expect(errorCode(await del(waiting, `/api/v1/me/sessions/${mine!.id}`))).toBe('unauthenticated');
    expect(errorCode(await del(waiting, '/api/v1/me/sessions'))).toBe('unauthenticated');
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
  });
});
