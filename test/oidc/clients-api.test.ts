import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp, useTestApp } from '../support/app.ts';
import type { EventJson } from '../support/audit.ts';
import { enrolTotp } from '../support/two-factor.ts';

const CLIENTS = '/api/v1/admin/oidc/clients';
const app1 = { name: 'Billing', redirectUris: ['https://billing.example.test/callback'] };

/** The admin API of an instance's OpenID Connect clients (SPEC §6). */
describe.each(engines())('OpenID Connect clients API on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  async function adminClient() {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    return { instance, admin, client };
  }
  const patch = (client: Client, id: string, payload: object) => client.request({ method: 'PATCH', url: `${CLIENTS}/${id}`, payload });
  const remove = (client: Client, id: string) => client.request({ method: 'DELETE', url: `${CLIENTS}/${id}` });
  const eventsOf = async (client: Client) => (await client.get('/api/v1/admin/audit')).json().events as EventJson[];

  it('creates a confidential client whose secret is in the creating answer only, then lists, reads, changes and deletes it', async () => {
    const { client } = await adminClient();
    const created = await client.post(CLIENTS, { ...app1, postLogoutRedirectUris: ['https://billing.example.test/'] });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json();
    expect(body).toMatchObject({
      name: 'Billing',
      public: false,
      redirectUris: app1.redirectUris,
      postLogoutRedirectUris: ['https://billing.example.test/'],
      backchannelLogoutUri: null,
      defaultAcrValues: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: [],
    });
    // ≥ 128 bits (OWASP ASVS 5.0 11.5.1): 32 random bytes, base64url.
    expect(body.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.clientId).toMatch(/^[A-Za-z0-9_-]{20}$/);

    const listed = await client.get(CLIENTS);
    const { clientSecret: _secret, ...withoutSecret } = body;
    expect(listed.json().clients).toEqual([withoutSecret]);
    expect(listed.body).not.toContain(body.clientSecret);
    const read = await client.get(`${CLIENTS}/${body.clientId}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().clientSecret).toBeUndefined();

    const changed = await patch(client, body.clientId, { redirectUris: ['https://billing.example.test/cb2', 'http://localhost:3000/cb'] });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      name: 'Billing',
      redirectUris: ['https://billing.example.test/cb2', 'http://localhost:3000/cb'],
    });

    expect((await remove(client, body.clientId)).statusCode).toBe(204);
    expect(errorCode(await client.get(`${CLIENTS}/${body.clientId}`))).toBe('not_found');
    expect(errorCode(await remove(client, body.clientId))).toBe('not_found');
    expect((await client.get(CLIENTS)).json().clients).toEqual([]);
  });

  it('rotates a secret: the new one once, a public client has none to rotate', async () => {
    const { client, instance } = await adminClient();
    const created = (await client.post(CLIENTS, app1)).json();
    const rotated = await client.post(`${CLIENTS}/${created.clientId}/secret`);
    expect(rotated.statusCode).toBe(200);
    expect(rotated.headers['cache-control']).toBe('no-store');
    expect(rotated.json().clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.json().clientSecret).not.toBe(created.clientSecret);
    const stored = await deps.stores.forInstance(instance.id).oidcClients.find(created.clientId);
    // Sealed at rest: neither secret is in the row.
    expect(stored!.sealedSecret).not.toContain(rotated.json().clientSecret);
    expect(JSON.stringify(stored)).not.toContain(created.clientSecret);

    const spa = await client.post(CLIENTS, { ...app1, name: 'SPA', public: true });
    expect(spa.json()).toMatchObject({ public: true, clientSecret: null });
    const refused = await client.post(`${CLIENTS}/${spa.json().clientId}/secret`);
    expect([refused.statusCode, errorCode(refused)]).toEqual([400, 'invalid_request']);
  });

  it('refuses bad input with invalid_request naming the field, and stores nothing', async () => {
    const { client } = await adminClient();
    const cases: Array<[object, string]> = [
      [{ ...app1, redirectUris: ['http://billing.example.test/cb'] }, 'redirectUris'],
      [{ ...app1, redirectUris: ['https://billing.example.test/cb#frag'] }, 'redirectUris'],
      [{ ...app1, redirectUris: ['/relative/cb'] }, 'redirectUris'],
      [{ ...app1, redirectUris: ['https://user:pw@billing.example.test/cb'] }, 'redirectUris'],
      [{ ...app1, redirectUris: ['http://127.0.0.1.evil.test/cb'] }, 'redirectUris'],
      [{ ...app1, redirectUris: [] }, 'redirectUris'],
      [{ ...app1, redirectUris: Array.from({ length: 11 }, (_, i) => `https://a.example.test/${i}`) }, 'redirectUris'],
      [{ ...app1, postLogoutRedirectUris: ['javascript:alert(1)'] }, 'postLogoutRedirectUris'],
      [{ ...app1, backchannelLogoutUri: 'http://billing.example.test/logout' }, 'backchannelLogoutUri'],
      [{ ...app1, name: '  ' }, 'name'],
      [{ ...app1, name: 'x'.repeat(101) }, 'name'],
      [{ ...app1, name: 'Line\nbreak' }, 'name'],
      [{ ...app1, public: true, grantTypes: ['client_credentials'] }, 'grantTypes'],
      [{ ...app1, grantTypes: ['implicit'] }, 'grantTypes'],
      [{ ...app1, grantTypes: ['refresh_token'] }, 'grantTypes'],
      [{ ...app1, grantTypes: ['authorization_code', 'client_credentials'] }, 'grantTypes'],
      [{ ...app1, scopes: ['keyward:users:read'] }, 'scopes'],
      [{ name: 'Robot', grantTypes: ['client_credentials'], scopes: ['keyward:everything'] }, 'scopes'],
      [{ ...app1, defaultAcrValues: ['urn:other:acr'] }, 'defaultAcrValues'],
      [{ ...app1, unknown: true }, 'body'],
    ];
    for (const [payload, field] of cases) {
      const response = await client.post(CLIENTS, payload);
      expect([response.statusCode, errorCode(response)], JSON.stringify(payload)).toEqual([400, 'invalid_request']);
      expect(response.json().error.field, JSON.stringify(payload)).toBe(field);
    }
    expect((await client.get(CLIENTS)).json().clients).toEqual([]);
    const created = (await client.post(CLIENTS, app1)).json();
    const badPatch = await patch(client, created.clientId, { redirectUris: ['http://billing.example.test/cb'] });
    expect([badPatch.statusCode, badPatch.json().error.field]).toEqual([400, 'redirectUris']);
    expect(errorCode(await patch(client, created.clientId, { public: true }))).toBe('invalid_request');
    expect((await client.get(`${CLIENTS}/${created.clientId}`)).json().redirectUris).toEqual(app1.redirectUris);
  });

  it('keeps loopback http and exact strings for development, and a machine client with its scopes', async () => {
    const { client } = await adminClient();
    const uris = ['http://127.0.0.1:8080/cb', 'http://[::1]:8080/cb', 'http://localhost/cb?x=1', 'https://App.Example.test:8443/cb/'];
    const dev = await client.post(CLIENTS, { name: 'Dev', redirectUris: uris, defaultAcrValues: ['urn:keyward:acr:mfa'] });
    expect(dev.statusCode).toBe(201);
    expect(dev.json()).toMatchObject({ redirectUris: uris, defaultAcrValues: ['urn:keyward:acr:mfa'] });
    const robot = await client.post(CLIENTS, {
      name: 'Robot',
      grantTypes: ['client_credentials'],
      scopes: ['keyward:audit:read', 'keyward:users:read'],
    });
    expect(robot.statusCode).toBe(201);
    expect(robot.json()).toMatchObject({
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['keyward:users:read', 'keyward:audit:read'],
    });
  });

  it('answers not_found for another instance’s client id, and changes nothing there', async () => {
    const { client: mine } = await adminClient();
    const { client: theirs } = await adminClient();
    const created = (await theirs.post(CLIENTS, app1)).json();
    expect(errorCode(await mine.get(`${CLIENTS}/${created.clientId}`))).toBe('not_found');
    expect(errorCode(await patch(mine, created.clientId, { name: 'Mine now' }))).toBe('not_found');
    expect(errorCode(await mine.post(`${CLIENTS}/${created.clientId}/secret`))).toBe('not_found');
    expect(errorCode(await remove(mine, created.clientId))).toBe('not_found');
    expect((await mine.get(CLIENTS)).json().clients).toEqual([]);
    expect((await theirs.get(`${CLIENTS}/${created.clientId}`)).json()).toMatchObject({ name: 'Billing' });
  });

  it('refuses members (403) and visitors (401) before anything is read or changed', async () => {
    const { instance, client: admin } = await adminClient();
    const created = (await admin.post(CLIENTS, app1)).json();
    const user = await givenUser(deps, instance);
    const member = new Client(app);
    await member.login(instance.slug, user.email, PASSWORD);
    const visitor = new Client(app);
    for (const [who, status, code] of [
      [member, 403, 'forbidden'],
      [visitor, 401, 'unauthenticated'],
    ] as const) {
      for (const response of [
        await who.get(CLIENTS),
        await who.post(CLIENTS, app1),
        await who.get(`${CLIENTS}/${created.clientId}`),
        await patch(who, created.clientId, { name: 'x' }),
        await who.post(`${CLIENTS}/${created.clientId}/secret`),
        await remove(who, created.clientId),
      ]) {
        expect([response.statusCode, errorCode(response)]).toEqual([status, code]);
      }
    }
    expect((await admin.get(CLIENTS)).json().clients).toHaveLength(1);
  });

  it('asks an administrator with 2FA for a fresh code before a change (step-up), not for reading', async () => {
    const { client } = await adminClient();
    await enrolTotp(client, deps);
    deps.clock.advanceSeconds(11 * 60);
    expect((await client.get(CLIENTS)).statusCode).toBe(200);
    expect(errorCode(await client.post(CLIENTS, app1))).toBe('step_up_required');
  });

  it('records each change as an audit event naming the client, never its secret', async () => {
    const { client, admin } = await adminClient();
    const created = (await client.post(CLIENTS, app1, { 'user-agent': 'ClientsTest/1.0' })).json();
    await patch(client, created.clientId, { name: 'Billing 2', postLogoutRedirectUris: ['https://billing.example.test/bye'] });
    await patch(client, created.clientId, { name: 'Billing 2' }); // no change, no event
    const rotated = (await client.post(`${CLIENTS}/${created.clientId}/secret`)).json();
    await remove(client, created.clientId);
    const events = (await eventsOf(client)).filter((event) => event.action.startsWith('oidc_client.'));
    expect(events.map((event) => event.action)).toEqual([
      'oidc_client.deleted',
      'oidc_client.secret_rotated',
      'oidc_client.updated',
      'oidc_client.created',
    ]);
    for (const event of events) {
      expect(event.actor).toMatchObject({ type: 'user', id: admin.id });
      expect(event.target?.id).toBe(created.clientId);
    }
    expect(events[3]).toMatchObject({ target: { label: 'Billing' }, userAgent: 'ClientsTest/1.0', details: { public: false } });
    expect(events[2]!.details).toEqual({
      before: { name: 'Billing', postLogoutRedirectUris: [] },
      after: { name: 'Billing 2', postLogoutRedirectUris: ['https://billing.example.test/bye'] },
    });
    const text = JSON.stringify(events);
    expect(text).not.toContain(created.clientSecret);
    expect(text).not.toContain(rotated.clientSecret);
  });

  it('keeps secrets out of the request log', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logged = await testApp(deps, { logger: { level: 'trace', stream } as never });
    try {
      const { instance, admin } = await givenInstance(deps);
      const client = new Client(logged);
      await client.login(instance.slug, admin.email, PASSWORD);
      const created = (await client.post(CLIENTS, app1)).json();
      const rotated = (await client.post(`${CLIENTS}/${created.clientId}/secret`)).json();
      const log = lines.join('');
      expect(log).toContain('/admin/oidc/clients');
      expect(log).not.toContain(created.clientSecret);
      expect(log).not.toContain(rotated.clientSecret);
    } finally {
      await logged.close();
    }
  });
});
