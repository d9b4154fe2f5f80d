import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';

// Issue 13: reloading the setup page started a new key, so the app scanned first showed codes of a
// key no longer waiting. The session keeps one pending key (sealed) until it is confirmed or
// expires; a reload or a race answers that one key (OTP-04).
describe.each(engines())('the pending authenticator key of a setup on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  async function atSetup() {
    const { instance } = await givenInstance(deps, 'enterprise');
    const user = await givenUser(deps, instance);
    await deps.stores.forInstance(instance.id).twoFactor.setEnabled(user.id, true);
    const client = new Client(app);
    expect((await client.login(instance.slug, user.email, PASSWORD)).json()).toMatchObject({ next: 'setup' });
    return { instance, user, client };
  }

  it('answers the same key to a reload, sealed at rest, and confirms it with the app scanned first', async () => {
    const { user, client } = await atSetup();
    const first = (await client.post('/api/v1/auth/setup')).json();
    const again = (await client.post('/api/v1/auth/setup')).json();
    expect(again.secret).toBe(first.secret);
    expect(again.otpauthUri).toBe(first.otpauthUri);
    const row = await database.db
      .selectFrom('sessions')
      .select('pending_totp_secret')
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.pending_totp_secret).toBeTruthy();
    expect(row.pending_totp_secret).not.toContain(first.secret);
    const confirmed = await client.post('/api/v1/auth/setup/confirm', { code: oathtool(first.secret, deps.clock.now()) });
    expect(confirmed.json()).toEqual({ next: 'done' });
  });

  it('gives racing requests of one session one key, never two pending ones', async () => {
    const { client } = await atSetup();
    const answers = await Promise.all(Array.from({ length: 6 }, () => client.post('/api/v1/auth/setup')));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.json().secret)).size).toBe(1);
  });

  /** A full session of a user who turned 2FA on and started setting an app up (with the password): the first key. */
  async function fullSessionSettingUp() {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    const client = new Client(app);
    await client.login(instance.slug, user.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    const first = (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json();
    return { instance, user, client, first };
  }

  it('starts a new key once the pending one expired, and the old one no longer confirms', async () => {
    const { client, first } = await fullSessionSettingUp();
    deps.clock.advanceSeconds(15 * 60);
    const fresh = (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json();
    expect(fresh.secret).not.toBe(first.secret);
    const stale = await client.post('/api/v1/auth/setup/confirm', { code: oathtool(first.secret, deps.clock.now()) });
    expect(errorCode(stale)).toBe('invalid_credentials');
    const confirmed = await client.post('/api/v1/auth/setup/confirm', { code: oathtool(fresh.secret, deps.clock.now()) });
    expect(confirmed.json()).toEqual({ next: 'done' });
  });

  it('keeps a replacement key of a full session across a second proof, and names the instance', async () => {
    const { instance, user, client, first } = await fullSessionSettingUp();
    const again = (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json();
    expect(again.secret).toBe(first.secret);
    expect(first.issuer).toBe(`${instance.name} (keyward)`);
    expect(decodeURIComponent(new URL(first.otpauthUri).pathname)).toBe(`/${instance.name} (keyward):${user.email}`);
  });
});
