import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';

interface ListedSession {
  id: string;
  current: boolean;
}

/** A copy of another client's cookies: what a thief holds after stealing the session cookie. */
function stealCookies(victim: Client, thief: Client): void {
  for (const [name, value] of victim.cookies) thief.cookies.set(name, value);
}

// Issue 10 item 17: a stolen session cookie kept working for up to 12 hours and its owner had no
// way to see or end it (ASVS 5.0 V7.4.5 and V7.5.2: users can view and terminate their active
// sessions; checklist SES-07). Now the owner sees it in My Profile → Sessions and ends it.
describe.each(engines())('a hijacked session its owner can end, on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  it('lets the owner end a stolen session from another browser: the thief’s next request is 401', async () => {
    const { instance } = await givenInstance(deps);
    const owner = await givenUser(deps, instance);
    const laptop = new Client(app);
    await laptop.login(instance.slug, owner.email, PASSWORD);
    const thief = new Client(app);
    stealCookies(laptop, thief);
    expect((await thief.get('/api/v1/me')).statusCode).toBe(200);

    const phone = new Client(app);
    await phone.login(instance.slug, owner.email, PASSWORD);
    const listed = await phone.get('/api/v1/me/sessions');
    expect(listed.statusCode).toBe(200);
    const sessions = listed.json().sessions as ListedSession[];
    expect(sessions).toHaveLength(2);
    const stolen = sessions.find((s) => !s.current)!;
    expect((await phone.request({ method: 'DELETE', url: `/api/v1/me/sessions/${stolen.id}` })).statusCode).toBe(204);

    expect(errorCode(await thief.get('/api/v1/me'))).toBe('unauthenticated');
    expect((await phone.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('ends every other session at once and keeps the one that asked', async () => {
    const { instance } = await givenInstance(deps);
    const owner = await givenUser(deps, instance);
    const thieves = [new Client(app), new Client(app)];
    for (const thief of thieves) await thief.login(instance.slug, owner.email, PASSWORD);
    const owning = new Client(app);
    await owning.login(instance.slug, owner.email, PASSWORD);

    const ended = await owning.request({ method: 'DELETE', url: '/api/v1/me/sessions' });
    expect(ended.json()).toEqual({ ended: 2 });
    for (const thief of thieves) expect(errorCode(await thief.get('/api/v1/me'))).toBe('unauthenticated');
    expect((await owning.get('/api/v1/me/sessions')).json().sessions).toHaveLength(1);
  });

  it('shows ids that carry no part of any cookie, and that nobody but the owner can end a session with', async () => {
    const { instance, admin } = await givenInstance(deps);
    const owner = await givenUser(deps, instance);
    const victim = new Client(app);
    await victim.login(instance.slug, owner.email, PASSWORD);
    const [listed] = (await victim.get('/api/v1/me/sessions')).json().sessions as ListedSession[];
    const [cookieId, cookieSecret] = victim.cookies.get('keyward_session')!.split('.') as [string, string];
    expect(listed!.id).not.toContain(cookieId);
    expect(listed!.id).not.toContain(cookieSecret);

    // Another user of the same instance (even an administrator, through the member route), a user
    // of another instance, and a client with no session: none of them ends it.
    const sameInstance = new Client(app);
    await sameInstance.login(instance.slug, admin.email, PASSWORD);
    const other = await givenInstance(deps);
    const otherInstance = new Client(app);
    await otherInstance.login(other.instance.slug, other.admin.email, PASSWORD);
    for (const attacker of [sameInstance, otherInstance]) {
      expect(errorCode(await attacker.request({ method: 'DELETE', url: `/api/v1/me/sessions/${listed!.id}` }))).toBe('not_found');
    }
    // The cookie's id part is not an id of the list either.
    expect(errorCode(await sameInstance.request({ method: 'DELETE', url: `/api/v1/me/sessions/${cookieId}` }))).toBe('not_found');
    expect(errorCode(await new Client(app).request({ method: 'DELETE', url: `/api/v1/me/sessions/${listed!.id}` }))).toBe(
      'unauthenticated',
    );
    expect((await victim.get('/api/v1/me')).statusCode).toBe(200);
  });
});
