import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { networkOf } from '../../src/domain/known-location/known-location.ts';

describe('authenticator-app 2FA through the API, with oathtool codes', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ database, deps, app } = t));

  const deviceCookies = (client: Client) => [...client.cookies.keys()].filter((name) => name.startsWith('keyward_device_'));

  it('turns 2FA on, asks for setup at the next login, and sets up an app with a QR code and a key', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const on = await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    expect(on.json()).toEqual({ enabled: true, associated: false, status: 'pending', enforced: false });
    await client.post('/api/v1/auth/logout');

    expect((await client.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'setup', canPostpone: true });
    expect(errorCode(await client.get('/api/v1/me'))).toBe('unauthenticated');
    const setup = (await client.post('/api/v1/auth/setup')).json();
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.secretGrouped).toBe(setup.secret.match(/.{4}/g).join(' '));
    expect(setup.qrSvg).toMatch(/^<svg[^>]*>/);
    const uri = new URL(setup.otpauthUri);
    // The instance is named, so two instances' entries in one app can be told apart (issue 13).
    expect(decodeURIComponent(uri.pathname)).toBe(`/${instance.name} (keyward):${admin.email}`);
    expect(uri.searchParams.get('secret')).toBe(setup.secret);
    expect(uri.searchParams.get('issuer')).toBe(`${instance.name} (keyward)`);
    expect(setup.issuer).toBe(`${instance.name} (keyward)`);

    const wrong = await client.post('/api/v1/auth/setup/confirm', {
      code: '000000' === oathtool(setup.secret, deps.clock.now()) ? '111111' : '000000',
    });
    expect(errorCode(wrong)).toBe('invalid_credentials');
    const before = client.cookies.get('keyward_session');
    const confirmed = await client.post('/api/v1/auth/setup/confirm', { code: oathtool(setup.secret, deps.clock.now()) });
    expect(confirmed.json()).toEqual({ next: 'done' });
    expect(client.cookies.get('keyward_session')).not.toBe(before);
    expect(deviceCookies(client)).toHaveLength(1);
    expect((await client.get('/api/v1/me')).json().twoFactor).toEqual({
      enabled: true,
      associated: true,
      status: 'active',
      enforced: false,
    });
    const row = await database.db.selectFrom('totp_credentials').selectAll().where('user_id', '=', admin.id).executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(setup.secret);
  });

  it('lets a user postpone setup at login while it is not enforced', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    await client.post('/api/v1/auth/logout');
    await client.login(instance.slug, admin.email, PASSWORD);
    expect((await client.post('/api/v1/auth/postpone')).json()).toEqual({ next: 'done' });
    expect((await client.get('/api/v1/me')).json().twoFactor.status).toBe('pending');
  });

  it('asks a new browser for a code, then trusts that browser on the same network', async () => {
    const { instance, admin } = await givenInstance(deps);
    const first = new Client(app);
    await first.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(first, deps);

    const browser = new Client(app);
    await loginWithCode(browser, deps, instance.slug, admin.email, secret);
    expect(deviceCookies(browser)).toHaveLength(1);
    const logout = await browser.post('/api/v1/auth/logout');
    // Logging out ends the session, not the trust in this browser.
    expect(logout.headers['clear-site-data']).toBeUndefined();
    expect(String(logout.headers['set-cookie'])).not.toContain('keyward_device_');
    expect((await browser.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
    expect((await browser.get('/api/v1/me')).statusCode).toBe(200);

    // The enrolling browser and this one: each its own known location; this browser holds one.
    const locations = (await browser.get('/api/v1/me/known-locations')).json().locations;
    expect(locations).toHaveLength(2);
    expect(locations.filter((l: { current: boolean }) => l.current)).toHaveLength(1);
    expect(locations[0]).toMatchObject({ network: networkOf(browser.ip), current: true });
  });

  it('asks again on another network unless the instance trusts the device alone', async () => {
    const { instance, admin } = await givenInstance(deps, 'business');
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    const elsewhere = (c: Client) =>
      c.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '198.51.100.7',
        payload: { instance: instance.slug, email: admin.email, password: PASSWORD },
      });
    expect((await elsewhere(client)).json().next).toBe('verify');

    await client.login(instance.slug, admin.email, PASSWORD);
    await client.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) });
    deps.clock.advanceSeconds(30);
    await client.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) });
    const put = await client.request({
      method: 'PUT',
      url: '/api/v1/admin/instance-settings',
      payload: { knownLocations: { requireSameNetwork: false } },
    });
    expect(put.json()).toEqual({ knownLocations: { trustDays: 30, requireSameNetwork: false } });
    expect((await elsewhere(client)).json()).toEqual({ next: 'done' });
  });

  it('forgets a revoked known location, and all of them at once', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    const [location] = (await client.get('/api/v1/me/known-locations')).json().locations;
    expect((await client.request({ method: 'DELETE', url: `/api/v1/me/known-locations/${location.id}` })).statusCode).toBe(204);
    expect((await client.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    await client.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) });
    deps.clock.advanceSeconds(30);
    expect((await client.request({ method: 'DELETE', url: '/api/v1/me/known-locations' })).statusCode).toBe(204);
    expect((await client.get('/api/v1/me/known-locations')).json().locations).toEqual([]);
    expect((await client.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
  });

  it('does not let one user revoke or see another user’s known locations', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const a = new Client(app);
    await a.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(a, deps);
    const [location] = (await a.get('/api/v1/me/known-locations')).json().locations;
    const b = new Client(app);
    await b.login(instance.slug, member.email, PASSWORD);
    expect((await b.get('/api/v1/me/known-locations')).json().locations).toEqual([]);
    expect(errorCode(await b.request({ method: 'DELETE', url: `/api/v1/me/known-locations/${location.id}` }))).toBe('not_found');
    expect((await a.get('/api/v1/me/known-locations')).json().locations).toHaveLength(1);
  });

  it('never gives a full session before the code, and refuses enrolling an app from a login waiting at verify', async () => {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(owner, deps);

    const attacker = new Client(app);
    expect((await attacker.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    expect(errorCode(await attacker.get('/api/v1/me'))).toBe('unauthenticated');
    expect(errorCode(await attacker.post('/api/v1/auth/setup'))).toBe('forbidden');
    expect(errorCode(await attacker.post('/api/v1/auth/setup/confirm', { code: '123456' }))).toBe('forbidden');
    expect(errorCode(await attacker.post('/api/v1/auth/postpone'))).toBe('forbidden');
    expect(errorCode(await attacker.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: false } }))).toBe(
      'forbidden',
    );
    expect(errorCode(await attacker.get('/api/v1/me/known-locations'))).toBe('unauthenticated');
    expect(errorCode(await attacker.post('/api/v1/auth/step-up', { code: '123456' }))).toBe('forbidden');
  });

  it('asks for the password and a current code before replacing an app, even right after a step-up', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    await client.login(instance.slug, admin.email, PASSWORD); // known location: no code
    expect(errorCode(await client.post('/api/v1/auth/setup'))).toBe('reauthentication_required');
    expect((await client.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
    expect(errorCode(await client.post('/api/v1/auth/setup'))).toBe('reauthentication_required');
    deps.clock.advanceSeconds(30);
    expect(
      (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) })).statusCode,
    ).toBe(200);
  });

  it('forgets every known location when an app is replaced', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    const other = new Client(app);
    await loginWithCode(other, deps, instance.slug, admin.email, secret);
    expect((await other.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' }); // known there
    const { secret: replacement } = (
      await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) })
    ).json();
    deps.clock.advanceSeconds(30);
    expect((await client.post('/api/v1/auth/setup/confirm', { code: oathtool(replacement, deps.clock.now()) })).json()).toEqual({
      next: 'done',
    });
    expect((await other.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
  });

  it('turns 2FA off only with the password and a current code, removing the app and known locations', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    const off = (payload: object) => client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload });
    deps.clock.advanceSeconds(601); // the code of the setup is no longer fresh
    expect(errorCode(await off({ enabled: false }))).toBe('reauthentication_required');
    expect(errorCode(await off({ enabled: false, currentPassword: PASSWORD, code: 'abcdef' }))).toBe('invalid_credentials');
    const done = await off({ enabled: false, currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) });
    expect(done.json()).toEqual({ enabled: false, associated: false, status: 'off', enforced: false });
    expect(await database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', admin.id).execute()).toEqual([]);
    expect((await client.get('/api/v1/me/known-locations')).json().locations).toEqual([]);
    expect((await new Client(app).login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
    const mails = await deliveredTo(deps, admin.email);
    expect(mails.some((m) => m.subject.startsWith('Two-factor authentication was turned off'))).toBe(true);
  });

  it('still asks for the password and a code to turn 2FA off right after a step-up', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    deps.clock.advanceSeconds(601);
    expect((await client.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
    const off = await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: false } });
    expect(errorCode(off)).toBe('reauthentication_required');
  });

  it('ends the other sessions of a user who sets up an app', async () => {
    const { instance, admin } = await givenInstance(deps);
    const other = new Client(app);
    await other.login(instance.slug, admin.email, PASSWORD);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(client, deps);
    expect(errorCode(await other.get('/api/v1/me'))).toBe('unauthenticated');
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('asks a session that skipped the code to step up before admin changes, once per 10 minutes', async () => {
    const { instance, admin } = await givenInstance(deps, 'business');
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    await client.login(instance.slug, admin.email, PASSWORD);
    const change = () =>
      client.request({ method: 'PUT', url: '/api/v1/admin/instance-settings', payload: { knownLocations: { trustDays: 7 } } });
    expect(errorCode(await change())).toBe('step_up_required');
    const before = client.cookies.get('keyward_session');
    expect((await client.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
    expect(client.cookies.get('keyward_session')).not.toBe(before);
    expect((await change()).json().knownLocations.trustDays).toBe(7);
    deps.clock.advanceSeconds(601);
    expect(errorCode(await change())).toBe('step_up_required');
  });

  it('keeps instance settings to administrators and within 0–30 days', async () => {
    const { instance, admin } = await givenInstance(deps, 'business');
    const member = await givenUser(deps, instance);
    const m = new Client(app);
    await m.login(instance.slug, member.email, PASSWORD);
    expect(errorCode(await m.get('/api/v1/admin/instance-settings'))).toBe('forbidden');
    expect(
      errorCode(await m.request({ method: 'PUT', url: '/api/v1/admin/instance-settings', payload: { knownLocations: { trustDays: 1 } } })),
    ).toBe('forbidden');
    const a = new Client(app);
    await a.login(instance.slug, admin.email, PASSWORD);
    expect((await a.get('/api/v1/admin/instance-settings')).json()).toEqual({
      knownLocations: { trustDays: 30, requireSameNetwork: true },
    });
    expect(
      errorCode(await a.request({ method: 'PUT', url: '/api/v1/admin/instance-settings', payload: { knownLocations: { trustDays: 90 } } })),
    ).toBe('invalid_request');
  });

  it('issues no trusted-device cookie when the instance trusts for 0 days', async () => {
    const { instance, admin } = await givenInstance(deps, 'business');
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/admin/instance-settings', payload: { knownLocations: { trustDays: 0 } } });
    const secret = await enrolTotp(client, deps);
    expect(deviceCookies(client)).toHaveLength(0);
    expect((await client.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    expect((await client.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
    expect(deviceCookies(client)).toHaveLength(0);
  });

  it('expires a pending login at verify after 15 minutes', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    const fresh = new Client(app);
    await fresh.login(instance.slug, admin.email, PASSWORD);
    deps.clock.advanceSeconds(15 * 60 + 1);
    expect(errorCode(await fresh.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) }))).toBe('unauthenticated');
  });
});
