import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD } from '../support/deps.ts';
import { Browser, givenOidcClient, useOidcServer, type OidcServer } from '../support/oidc.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { User } from '../../src/domain/account/user.ts';

// openid-client as the relying party against the real server (issue 12, "one session of record").
describe.each(engines())('Logout on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  async function relyingParty(instance: Instance) {
    const postLogout = `https://app.example.test/${instance.slug}/signed-out`;
    const app = await givenOidcClient(server.deps, instance, { postLogoutRedirectUris: [postLogout] });
    const config = await oidc.discovery(
      new URL(server.issuer(instance.slug)),
      app.client_id,
      undefined,
      oidc.ClientSecretBasic(app.client_secret!),
      { execute: [oidc.allowInsecureRequests] },
    );
    oidc.enableNonRepudiationChecks(config);
    return { config, redirectUri: app.redirect_uris[0]!, postLogout };
  }

  type RelyingParty = Awaited<ReturnType<typeof relyingParty>>;

  /** An authorization (code, PKCE, state, nonce) answered from the browser's keyward session; the tokens. */
  async function signIn(rp: RelyingParty, browser: Browser, params: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(rp.config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    });
    const back = await browser.follow(url.href, rp.redirectUri);
    if (!back.callback || back.callback.searchParams.has('error'))
      return { error: back.callback?.searchParams.get('error') ?? 'no callback' };
    const tokens = await oidc.authorizationCodeGrant(rp.config, back.callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    return { tokens };
  }

  async function loggedIn(instance: Instance, user: User) {
    const browser = new Browser(server.origin);
    const login = await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD });
    expect(login.json).toEqual({ next: 'done' });
    return browser;
  }

  /** The logout page's form (the library's, with its anti-forgery token): where it posts and its token. */
  async function logoutForm(browser: Browser, url: URL) {
    const page = await browser.fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    const action = /<form id="op\.logoutForm" method="post" action="([^"]+)"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    expect(action && xsrf, html).toBeTruthy();
    return { action: action!, xsrf: xsrf! };
  }

  const submit = (browser: Browser, form: { action: string; xsrf: string }, fields: Record<string, string>) =>
    browser.fetch(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: form.xsrf, ...fields }).toString(),
    });

  it('RP-initiated logout, confirmed, ends the keyward session: /me is 401, its cookie is cleared, prompt=none is login_required', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const browser = await loggedIn(instance, user);
    const rp = await relyingParty(instance);
    const { tokens } = await signIn(rp, browser);
    expect(tokens?.claims()?.sub).toBe(user.id);

    const state = oidc.randomState();
    const url = oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens!.id_token!, post_logout_redirect_uri: rp.postLogout, state });
    const form = await logoutForm(browser, url);
    const done = await submit(browser, form, { logout: 'yes' });
    expect(done.status).toBe(303);
    const target = new URL(done.headers.get('location')!);
    expect([target.origin + target.pathname, target.searchParams.get('state')]).toEqual([rp.postLogout, state]);
    expect(done.headers.getSetCookie().some((c) => /^keyward_session=;/.test(c) && /Path=\//i.test(c))).toBe(true);
    expect(browser.has('keyward_session')).toBe(false);

    expect((await browser.fetch('/api/v1/me')).status).toBe(401);
    expect((await signIn(rp, browser, { prompt: 'none' })).error).toBe('login_required');
  });

  it('"No, stay signed in" keeps the keyward session', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const browser = await loggedIn(instance, user);
    const rp = await relyingParty(instance);
    const { tokens } = await signIn(rp, browser);
    const url = oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens!.id_token!, post_logout_redirect_uri: rp.postLogout });
    const done = await submit(browser, await logoutForm(browser, url), {});
    expect(done.status).toBe(303);
    expect((await browser.fetch('/api/v1/me')).status).toBe(200);
    expect((await signIn(rp, browser, { prompt: 'none' })).tokens?.claims()?.sub).toBe(user.id);
  });

  it('a logout at one instance’s provider does not end the browser’s keyward session of another instance', async () => {
    const [{ instance }, { instance: other }] = await Promise.all([givenInstance(server.deps), givenInstance(server.deps)]);
    const user = await givenUser(server.deps, instance);
    const browser = await loggedIn(instance, user);
    const rp = await relyingParty(instance);
    const { tokens } = await signIn(rp, browser);
    // The browser's keyward session is now one of the other instance; the first provider's session stays.
    const stranger = await givenUser(server.deps, other);
    expect((await browser.api('/auth/login', { instance: other.slug, email: stranger.email, password: PASSWORD })).json).toEqual({
      next: 'done',
    });
    const url = oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens!.id_token!, post_logout_redirect_uri: rp.postLogout });
    expect((await submit(browser, await logoutForm(browser, url), { logout: 'yes' })).status).toBe(303);
    expect((await browser.fetch('/api/v1/me')).status).toBe(200);
  });
});
