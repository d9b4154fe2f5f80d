import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { engines } from '../support/db.ts';
import { givenInstance } from '../support/deps.ts';
import { testApp } from '../support/app.ts';
import { basicAuth, givenOidcClient, pkcePair, useOidcServer, type OidcServer, type TestOidcClient } from '../support/oidc.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

// The authorization and token endpoints (the login interaction itself: login-interaction.test.ts):
// every refusal is the library's, reached through keyward's mount, and the API's guards stay.
describe.each(engines())('OpenID Connect endpoints on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));
  // Each test's instance with one confidential client, registered through the use-case.
  const clients = new Map<string, TestOidcClient>();
  const testClient = (instance: Instance) => clients.get(instance.id)!;
  const givenInstanceWithClient = async () => {
    const given = await givenInstance(server.deps);
    clients.set(given.instance.id, await givenOidcClient(server.deps, given.instance));
    return given;
  };

  function authorizationUrl(instance: Instance, params: Record<string, string | null> = {}): string {
    const app = testClient(instance);
    const url = new URL(`${server.issuer(instance.slug)}/auth`);
    const { challenge } = pkcePair();
    const all: Record<string, string | null> = {
      client_id: app.client_id,
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: app.redirect_uris[0]!,
      state: 'state-1',
      nonce: 'nonce-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...params,
    };
    for (const [name, value] of Object.entries(all)) if (value !== null) url.searchParams.set(name, value);
    return url.toString();
  }
  const get = (url: string) => fetch(url, { redirect: 'manual' });
  const token = (slug: string, body: Record<string, string>, authorization?: string, headers: Record<string, string> = {}) =>
    fetch(`${server.issuer(slug)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}), ...headers },
      body: new URLSearchParams(body).toString(),
    });

  it('sends a valid authorization request to the login interaction under the issuer, with cookies scoped to it', async () => {
    const { instance } = await givenInstanceWithClient();
    const response = await get(authorizationUrl(instance));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(new RegExp(`^/i/${instance.slug}/interaction/[\\w-]+$`));
    // Without the cookies (another browser), the interaction address continues no sign-in.
    expect((await get(`${server.origin}${response.headers.get('location')}`)).status).toBe(400);
    const cookies = response.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) {
      expect(cookie).toMatch(new RegExp(`; path=/i/${instance.slug}(/|;)`));
      expect(cookie.toLowerCase()).toContain('httponly');
      expect(cookie.toLowerCase()).toContain('samesite=lax');
    }
  });

  it('refuses an authorization request without PKCE or with the plain method, back at the redirect URI', async () => {
    const { instance } = await givenInstanceWithClient();
    const variants: Array<Record<string, string | null>> = [
      { code_challenge: null, code_challenge_method: null },
      { code_challenge_method: 'plain' },
    ];
    for (const params of variants) {
      const response = await get(authorizationUrl(instance, params));
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(testClient(instance).redirect_uris[0]);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('state-1');
      expect(location.searchParams.get('iss')).toBe(server.issuer(instance.slug));
    }
  });

  it('never redirects to a URI that is not exactly registered, nor for another instance’s client', async () => {
    const [{ instance }, { instance: other }] = await Promise.all([givenInstanceWithClient(), givenInstanceWithClient()]);
    const registered = testClient(instance).redirect_uris[0]!;
    const variants: Array<Record<string, string>> = [
      { redirect_uri: `${registered}/` },
      { redirect_uri: `${registered}?next=/` },
      { redirect_uri: registered.toUpperCase() },
      { redirect_uri: 'https://evil.example.test/callback' },
      { client_id: testClient(other).client_id, redirect_uri: testClient(other).redirect_uris[0]! },
    ];
    for (const params of variants) {
      const response = await get(authorizationUrl(instance, params));
      expect(response.status, JSON.stringify(params)).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      // keyward's page, under keyward's CSP: no inline style or script, the error named.
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      const page = await response.text();
      expect(page).toContain('invalid_');
      expect(page).not.toMatch(/<style|<script|style=/);
    }
  });

  it('answers the token endpoint without Origin (a server calling): OAuth errors, never the CSRF refusal', async () => {
    const { instance } = await givenInstanceWithClient();
    const app = testClient(instance);
    const grant = {
      grant_type: 'authorization_code',
      code: 'not-a-code',
      redirect_uri: app.redirect_uris[0]!,
      code_verifier: pkcePair().verifier,
    };
    const bogus = await token(instance.slug, grant, basicAuth(app.client_id, app.client_secret!));
    expect([bogus.status, ((await bogus.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);
    const wrongSecret = await token(instance.slug, grant, basicAuth(app.client_id, 'not the secret'));
    expect([wrongSecret.status, ((await wrongSecret.json()) as { error: string }).error]).toEqual([401, 'invalid_client']);
    const crossSite = await token(instance.slug, grant, basicAuth(app.client_id, app.client_secret!), {
      origin: 'https://elsewhere.example.test',
      'sec-fetch-site': 'cross-site',
    });
    expect(crossSite.status).toBe(400);
    // The guard of the API is unchanged.
    const api = await fetch(`${server.origin}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([api.status, ((await api.json()) as { error: { code: string } }).error.code]).toEqual([403, 'csrf']);
  });

  it('does not know one instance’s client at another instance’s token endpoint', async () => {
    const [{ instance }, { instance: other }] = await Promise.all([givenInstanceWithClient(), givenInstanceWithClient()]);
    const app = testClient(instance);
    const grant = { grant_type: 'authorization_code', code: 'x', redirect_uri: app.redirect_uris[0]!, code_verifier: pkcePair().verifier };
    const response = await token(other.slug, grant, basicAuth(app.client_id, app.client_secret!));
    expect([response.status, ((await response.json()) as { error: string }).error]).toEqual([401, 'invalid_client']);
  });

  it('answers a logout without a session with a form posting to its own confirm endpoint, its script allowed by hash only', async () => {
    const { instance } = await givenInstanceWithClient();
    const response = await get(`${server.issuer(instance.slug)}/session/end`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(`action="${server.issuer(instance.slug)}/session/end/confirm"`);
    expect(page).toContain('name="xsrf"');
    // The library adds the SHA-256 of its one inline script to keyward's CSP: nothing else runs.
    const csp = response.headers.get('content-security-policy')!;
    const scriptSrc = csp.split(';').find((d) => d.trim().startsWith('script-src'))!;
    expect(scriptSrc.trim().split(/\s+/).slice(1)).toEqual(["'self'", expect.stringMatching(/^'sha256-[A-Za-z0-9+/]+=*'$/)]);
    expect(csp).toContain("form-action 'self'");
  });

  it('prints no library notice on stdout or stderr (pino owns stdout): every default the library warns about is set', async () => {
    const { instance } = await givenInstanceWithClient();
    const app = testClient(instance);
    const printed = [vi.spyOn(console, 'info'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'log'), vi.spyOn(console, 'error')];
    try {
      const issuer = server.issuer(instance.slug);
      await get(authorizationUrl(instance));
      await get(authorizationUrl(instance, { redirect_uri: 'https://evil.example.test/' }));
      await get(authorizationUrl(instance, { resource: 'https://api.example.test/' }));
      await get(`${issuer}/session/end`);
      const auth = basicAuth(app.client_id, app.client_secret!);
      const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: auth };
      for (const endpoint of ['token/introspection', 'token/revocation']) {
        await fetch(`${issuer}/${endpoint}`, { method: 'POST', headers: form, body: 'token=not-a-token' });
      }
      await fetch(`${issuer}/me`, { headers: { authorization: 'Bearer not-a-token' } });
      const notices = printed.flatMap((spy) => spy.mock.calls.map((call) => String(call[0])));
      expect(notices.filter((line) => line.includes('oidc-provider'))).toEqual([]);
    } finally {
      for (const spy of printed) spy.mockRestore();
    }
  });

  it('keeps codes, tokens, hints and client secrets out of the request log', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logged = await testApp(server.deps, { logger: { level: 'trace', stream } as never });
    const { instance } = await givenInstanceWithClient();
    const app = testClient(instance);
    const secrets = ['code-SECRET-1', 'hint-SECRET-2', 'verifier-SECRET-3', 'token-SECRET-4'];
    await logged.inject({ method: 'GET', url: `/i/${instance.slug}/session/end?id_token_hint=${secrets[1]}&client_id=${app.client_id}` });
    await logged.inject({
      method: 'GET',
      url: `/i/${instance.slug}/auth?client_id=${app.client_id}&code=${secrets[0]}&access_token=${secrets[3]}`,
    });
    await logged.inject({
      method: 'POST',
      url: `/i/${instance.slug}/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(app.client_id, app.client_secret!) },
      payload: new URLSearchParams({
        grant_type: 'authorization_code',
        code: secrets[0]!,
        code_verifier: secrets[2]!,
        redirect_uri: app.redirect_uris[0]!,
      }).toString(),
    });
    await logged.close();
    const log = lines.join('');
    expect(log).toContain(`/i/${instance.slug}/token`);
    for (const secret of [...secrets, app.client_secret!, Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')]) {
      expect(log).not.toContain(secret);
    }
  });
});
