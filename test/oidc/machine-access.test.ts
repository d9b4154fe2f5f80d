import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD } from '../support/deps.ts';
import { basicAuth, discoverClient, givenMachineClient, machineTokenOf, useOidcServer, type OidcServer } from '../support/oidc.ts';
import { testApp } from '../support/app.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { MachineScope } from '../../src/domain/oidc/oidc-client.ts';
import { updateOidcClient } from '../../src/domain/oidc/manage-oidc-clients.ts';
import { storedStateId } from '../../src/domain/oidc/oidc-state-store.ts';

/**
 * Machine access (SPEC §6): openid-client's client_credentials grant at the instance's token
 * endpoint, and its access token as `Authorization: Bearer` on the admin API of the real server,
 * with no cookie and no Origin.
 */
describe.each(engines())('client_credentials tokens on the admin API on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  async function machine(instance: Instance, scopes: MachineScope[]) {
    const client = await givenMachineClient(server.deps, instance, scopes);
    const config = await discoverClient(server, instance, client);
    const grant = (scope = scopes.join(' ')) => oidc.clientCredentialsGrant(config, { scope });
    return { client, config, grant };
  }
  /** A request as a server-side script sends it: no cookie, no Origin. */
  async function call(
    path: string,
    token: string | null,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.origin}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      json: (text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as Record<string, any>,
      text,
    };
  }
  const code = (answer: { json: Record<string, any> }) => answer.json.error?.code as string | undefined;

  it('lists and invites users and reads the audit log with a token, without cookie or Origin; the client is the actor', async () => {
    const { instance, admin } = await givenInstance(server.deps);
    const { client, grant } = await machine(instance, ['keyward:users:read', 'keyward:users:write', 'keyward:audit:read']);
    const token = await grant();
    expect(token.token_type.toLowerCase()).toBe('bearer');
    expect(token.scope?.split(' ').sort()).toEqual(['keyward:audit:read', 'keyward:users:read', 'keyward:users:write']);

    const listed = await call('/admin/users', token.access_token);
    expect(listed.status).toBe(200);
    expect(listed.json.users.map((u: { email: string }) => u.email)).toEqual([admin.email]);

    const invited = await call('/admin/users', token.access_token, {
      method: 'POST',
      body: { email: 'bot-made@example.test', name: 'Made By Bot', role: 'member' },
    });
    expect(invited.status).toBe(201);
    const changed = await call(`/admin/users/${invited.json.id}`, token.access_token, { method: 'PATCH', body: { status: 'disabled' } });
    expect(changed.status).toBe(200);
    expect(changed.json.status).toBe('disabled');

    const audit = await call('/admin/audit?action=user.invited', token.access_token);
    expect(audit.status).toBe(200);
    expect(audit.json.events[0].actor).toEqual({ type: 'oidc_client', id: client.client_id, label: 'Application: Robot' });
    const exported = await call('/admin/audit/export?action=user.disabled', token.access_token);
    expect(exported.status).toBe(200);
    expect(exported.text).toContain('oidc_client');
  });

  it('opens only the routes of the token’s scopes: others are 403 insufficient_scope, routes no scope opens too', async () => {
    const { instance, admin } = await givenInstance(server.deps);
    const { grant } = await machine(instance, ['keyward:users:read']);
    const { access_token: token } = await grant();
    expect((await call('/admin/users', token)).status).toBe(200);
    const refused = [
      await call('/admin/users', token, { method: 'POST', body: { email: 'no@example.test', name: 'No', role: 'member' } }),
      await call('/admin/audit', token),
      await call('/admin/password-policy', token),
      await call('/admin/instance-settings', token),
      await call('/admin/oidc/clients', token),
      await call(`/admin/users/${admin.id}/two-factor/reset`, token, { method: 'POST' }),
      await call(`/admin/users/${admin.id}/password-recovery`, token, { method: 'POST', body: {} }),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(403);
      expect(code(answer)).toBe('insufficient_scope');
      expect(answer.challenge).toMatch(/^Bearer .*error="insufficient_scope"/);
    }
    expect(refused[0]!.challenge).toContain('scope="keyward:users:write"');
    // A token of a full-scope client is still no administrator for the humans-only routes.
    const { grant: full } = await machine(instance, ['keyward:users:read', 'keyward:users:write', 'keyward:audit:read']);
    const strong = (await full()).access_token;
    expect(code(await call(`/admin/users/${admin.id}/two-factor/reset`, strong, { method: 'POST' }))).toBe('insufficient_scope');
    expect(code(await call('/admin/password-policy', strong, { method: 'PUT', body: { password: { minLength: 20 } } }))).toBe(
      'insufficient_scope',
    );
  });

  it('answers 401 invalid_token for a made-up, malformed, expired or revoked token', async () => {
    const { instance } = await givenInstance(server.deps);
    const { grant, config } = await machine(instance, ['keyward:users:read']);
    for (const token of ['A'.repeat(43), 'not a token at all', '']) {
      const answer = await fetch(`${server.origin}/api/v1/admin/users`, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="keyward", error="invalid_token"');
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    }
    const expiring = (await grant()).access_token;
    expect((await call('/admin/users', expiring)).status).toBe(200);
    server.deps.clock.advanceSeconds(10 * 60 + 1);
    expect((await call('/admin/users', expiring)).status).toBe(401);

    const revoked = (await grant()).access_token;
    expect((await call('/admin/users', revoked)).status).toBe(200);
    await oidc.tokenRevocation(config, revoked);
    const after = await call('/admin/users', revoked);
    expect(after.status).toBe(401);
    expect(after.challenge).toContain('error="invalid_token"');
  });

  it('follows the client as stored now: a scope taken away or a deleted client ends what its tokens open', async () => {
    const { instance } = await givenInstance(server.deps);
    const { client, grant } = await machine(instance, ['keyward:users:read', 'keyward:audit:read']);
    const { access_token: token } = await grant();
    expect((await call('/admin/audit', token)).status).toBe(200);
    const changer = {
      instanceId: instance.id,
      actor: { type: 'cli' as const, id: null, label: 'CLI: test' },
      client: { ip: null, userAgent: null },
    };
    await updateOidcClient(server.deps, changer, client.client_id, { scopes: ['keyward:users:read'] });
    expect(code(await call('/admin/audit', token))).toBe('insufficient_scope');
    expect((await call('/admin/users', token)).status).toBe(200);
    await server.deps.stores.forInstance(instance.id).oidcClients.delete(client.client_id);
    expect((await call('/admin/users', token)).status).toBe(401);
  });

  it('keeps each token to its own instance: its users only, and a row of another instance with its id names none', async () => {
    const a = await givenInstance(server.deps);
    const b = await givenInstance(server.deps);
    const other = await givenUser(server.deps, b.instance, 'b-member@example.test');
    const { client, grant } = await machine(a.instance, ['keyward:users:read']);
    const { access_token: token } = await grant();
    const listed = await call('/admin/users', token);
    expect(listed.json.users.map((u: { email: string }) => u.email)).toEqual([a.admin.email]);
    expect(JSON.stringify(listed.json)).not.toContain(other.email);

    // A state row of B naming A's client (as if B's provider had issued it): B has no such
    // client, and the client is looked up in the row's own instance only.
    const forged = 'B'.repeat(43);
    const expiresAt = new Date(server.deps.clock.now().getTime() + 600_000);
    const refs = { grantId: null, uid: null, userCode: null };
    // Stored as the adapter stores a bearer model: under the id's hash, no jti (oidc-state-store.ts).
    const payload = { kind: 'ClientCredentials', clientId: client.client_id, scope: 'keyward:users:read' };
    const state = (id: string) => storedStateId('ClientCredentials', id);
    await server.deps.stores.forInstance(b.instance.id).oidcState.upsert('ClientCredentials', state(forged), payload, expiresAt, refs);
    expect((await call('/admin/users', forged)).status).toBe(401);
    // The same id live in two instances, each with a client of its own, names neither.
    const { client: ofB } = await machine(b.instance, ['keyward:users:read']);
    await server.deps.stores
      .forInstance(b.instance.id)
      .oidcState.upsert('ClientCredentials', state(token), { ...payload, clientId: ofB.client_id }, expiresAt, refs);
    expect((await call('/admin/users', token)).status).toBe(401);
  });

  it('keeps the CSRF guard for cookies: a token header never lends a cookie request its exemption', async () => {
    const { instance, admin } = await givenInstance(server.deps);
    const login = await fetch(`${server.origin}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.origin },
      body: JSON.stringify({ instance: instance.slug, email: admin.email, password: PASSWORD }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const body = { email: 'csrf@example.test', name: 'Csrf', role: 'member' };
    // The admin's cookie without Origin: refused as ever.
    expect(code(await call('/admin/users', null, { method: 'POST', body, headers: { cookie } }))).toBe('csrf');
    // With a bad Bearer token beside it: the token is the credential, and it is no good.
    expect((await call('/admin/users', 'x'.repeat(43), { method: 'POST', body, headers: { cookie } })).status).toBe(401);
    // Outside the admin API a Bearer header changes nothing.
    expect(code(await call('/auth/logout', 'x'.repeat(43), { method: 'POST', headers: { cookie } }))).toBe('csrf');
    expect((await call('/me', null, { headers: { cookie } })).status).toBe(200);
  });

  it('keeps the client secret and the access token out of the request log, at the token endpoint and the admin API', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logged = await testApp(server.deps, { logger: { level: 'trace', stream } as never });
    try {
      const { instance } = await givenInstance(server.deps);
      const robot = await givenMachineClient(server.deps, instance);
      const token = await machineTokenOf(logged, instance, robot);
      const listed = await logged.inject({ method: 'GET', url: '/api/v1/admin/users', headers: { authorization: `Bearer ${token}` } });
      expect(listed.statusCode).toBe(200);
      const log = lines.join('');
      expect(log).toContain('/admin/users');
      expect(log).toContain('/token');
      expect(log).not.toContain(robot.client_secret!);
      expect(log).not.toContain(token);
      expect(log).not.toContain(basicAuth(robot.client_id, robot.client_secret!).slice(6));
    } finally {
      await logged.close();
    }
  });
});
