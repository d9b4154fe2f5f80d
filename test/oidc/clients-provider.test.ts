import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD } from '../support/deps.ts';
import { Client } from '../support/app.ts';
import { basicAuth, pkcePair, useOidcServer, type OidcServer } from '../support/oidc.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

const CLIENTS = '/api/v1/admin/oidc/clients';

/**
 * Clients registered through the admin API are the provider's clients, from the next request on:
 * client_secret_basic at the token endpoint (openid-client as the relying party), rotation and
 * deletion, exact redirect matching at the authorization endpoint.
 */
describe.each(engines())('stored OpenID Connect clients at the provider on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  async function adminOf(instance: Instance, email: string) {
    const admin = new Client(server.app);
    const origin = { origin: server.origin };
    await admin.post('/api/v1/auth/login', { instance: instance.slug, email, password: PASSWORD }, origin);
    return {
      post: (url: string, body?: unknown) => admin.post(url, body, origin),
      patch: (url: string, payload: object) => admin.request({ method: 'PATCH', url, payload, headers: origin }),
      remove: (url: string) => admin.request({ method: 'DELETE', url, headers: origin }),
    };
  }
  async function given(body: object = {}) {
    const { instance, admin } = await givenInstance(server.deps);
    const api = await adminOf(instance, admin.email);
    const created = await api.post(CLIENTS, {
      name: 'Billing',
      redirectUris: [`https://billing.example.test/${instance.slug}/cb`],
      ...body,
    });
    expect(created.statusCode).toBe(201);
    return { instance, api, client: created.json<{ clientId: string; clientSecret: string | null; redirectUris: string[] }>() };
  }
  const configFor = (instance: Instance, clientId: string, secret: string) =>
    oidc.discovery(new URL(server.issuer(instance.slug)), clientId, undefined, oidc.ClientSecretBasic(secret), {
      execute: [oidc.allowInsecureRequests],
    });
  /** A code exchange with a code that was never issued: invalid_grant says the client authenticated, invalid_client that it did not. */
  async function exchange(instance: Instance, clientId: string, secret: string, redirectUri: string): Promise<string> {
    const config = await configFor(instance, clientId, secret);
    const callback = new URL(`${redirectUri}?code=not-a-code&iss=${encodeURIComponent(server.issuer(instance.slug))}`);
    try {
      await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: pkcePair().verifier, idTokenExpected: true });
      return 'ok';
    } catch (error) {
      // A 401 comes as a WWW-Authenticate challenge (RFC 6750 §3), its error among the parameters.
      const failure = error as { error?: string; cause?: Array<{ parameters?: { error?: string } }> };
      return failure.error ?? failure.cause?.[0]?.parameters?.error ?? String(error);
    }
  }

  it('authenticates a confidential client with client_secret_basic: its secret passes, any other is invalid_client', async () => {
    const { instance, client } = await given();
    const redirect = client.redirectUris[0]!;
    expect(await exchange(instance, client.clientId, client.clientSecret!, redirect)).toBe('invalid_grant');
    expect(await exchange(instance, client.clientId, `${client.clientSecret}x`, redirect)).toBe('invalid_client');
    const { client: another } = await given();
    expect(await exchange(instance, client.clientId, another.clientSecret!, redirect)).toBe('invalid_client');
  });

  it('takes a rotated secret from the next request on (the old one is invalid_client) and forgets a deleted client', async () => {
    const { instance, api, client } = await given();
    const redirect = client.redirectUris[0]!;
    expect(await exchange(instance, client.clientId, client.clientSecret!, redirect)).toBe('invalid_grant');
    const rotated = (await api.post(`${CLIENTS}/${client.clientId}/secret`)).json<{ clientSecret: string }>();
    expect(await exchange(instance, client.clientId, client.clientSecret!, redirect)).toBe('invalid_client');
    expect(await exchange(instance, client.clientId, rotated.clientSecret, redirect)).toBe('invalid_grant');
    expect((await api.remove(`${CLIENTS}/${client.clientId}`)).statusCode).toBe(204);
    expect(await exchange(instance, client.clientId, rotated.clientSecret, redirect)).toBe('invalid_client');
  });

  it('does not know a client at another instance’s provider, with its own secret', async () => {
    const { client } = await given();
    const { instance: other } = await givenInstance(server.deps);
    expect(await exchange(other, client.clientId, client.clientSecret!, client.redirectUris[0]!)).toBe('invalid_client');
  });

  it('authenticates a public client by its id alone (none), and refuses a secret it does not have', async () => {
    const { instance, client } = await given({ public: true });
    const form = { grant_type: 'authorization_code', code: 'x', redirect_uri: client.redirectUris[0]!, code_verifier: pkcePair().verifier };
    const post = (body: Record<string, string>, authorization?: string) =>
      fetch(`${server.issuer(instance.slug)}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
        body: new URLSearchParams(body).toString(),
      }).then(async (response) => ((await response.json()) as { error: string }).error);
    expect(await post({ ...form, client_id: client.clientId })).toBe('invalid_grant');
    expect(await post(form, basicAuth(client.clientId, 'guessed'))).toBe('invalid_client');
  });

  it('redirects only to a registered URI, exactly, and follows a change of the URIs on the next request', async () => {
    const { instance, api, client } = await given();
    const registered = client.redirectUris[0]!;
    const authorize = (redirectUri: string) => {
      const url = new URL(`${server.issuer(instance.slug)}/auth`);
      const params = {
        client_id: client.clientId,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: redirectUri,
        state: 's',
        nonce: 'n',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      return fetch(url, { redirect: 'manual' }).then((response) => response.status);
    };
    expect(await authorize(registered)).toBe(303);
    for (const variant of [`${registered}/`, `${registered}?x=1`, registered.toUpperCase(), registered.replace('https:', 'http:')]) {
      expect(await authorize(variant), variant).toBe(400);
    }
    const moved = `https://billing.example.test/${instance.slug}/new-cb`;
    expect((await api.patch(`${CLIENTS}/${client.clientId}`, { redirectUris: [moved] })).statusCode).toBe(200);
    expect(await authorize(registered)).toBe(400);
    expect(await authorize(moved)).toBe(303);
  });

  it('refuses a sign-in client’s request for a machine scope', async () => {
    const { instance, client } = await given();
    const url = new URL(`${server.issuer(instance.slug)}/auth`);
    const params = {
      client_id: client.clientId,
      response_type: 'code',
      scope: 'openid keyward:users:write',
      redirect_uri: client.redirectUris[0]!,
      state: 's',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
  });

  it('authenticates a machine client for client_credentials with its own scopes only', async () => {
    const { instance, client } = await given({ grantTypes: ['client_credentials'], scopes: ['keyward:audit:read'], redirectUris: [] });
    const token = (scope: string, secret = client.clientSecret!) =>
      fetch(`${server.issuer(instance.slug)}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.clientId, secret) },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));
    const granted = await token('keyward:audit:read');
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ token_type: 'Bearer', scope: 'keyward:audit:read' });
    expect((await token('keyward:users:write')).body.error).toBe('invalid_scope');
    expect((await token('keyward:audit:read', 'wrong')).body.error).toBe('invalid_client');
  });
});
