import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { testApp } from '../support/app.ts';
import { cleanUp } from '../../src/domain/maintenance/clean-up.ts';
import * as oidc from 'openid-client';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD } from '../support/deps.ts';
import { Browser, discoverClient, givenOidcClient, useOidcServer, type OidcServer } from '../support/oidc.ts';
import type { OidcClientInput } from '../../src/domain/oidc/oidc-client.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { User } from '../../src/domain/account/user.ts';
import { oathtool } from '../support/oathtool.ts';
import { givenOperatorLoggedIn } from '../support/two-factor.ts';

// openid-client as the relying party against the real server (issue 12, "one session of record").
describe.each(engines())('Logout on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  /** A client registered with a post-logout URI (and more of `input`), discovered by openid-client. */
  async function relyingParty(instance: Instance, input: Partial<OidcClientInput> = {}) {
    const postLogout = `https://app.example.test/${instance.slug}/signed-out`;
    const app = await givenOidcClient(server.deps, instance, { postLogoutRedirectUris: [postLogout], ...input });
    const config = await discoverClient(server, instance, app);
    oidc.enableNonRepudiationChecks(config);
    return { config, redirectUri: app.redirect_uris[0]!, postLogout, clientId: app.client_id };
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
    // Recorded as the user's logout, asked by this application.
    const events = await server.deps.stores.audit.list(instance.id, { action: 'session.logged_out', limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: { type: 'user', id: user.id },
      target: { id: user.id },
      details: { via: 'application', clientId: rp.clientId, client: 'Test app' },
    });
    expect(events[0]!.ip).toBe('127.0.0.1');
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

  /** A browser signed in to keyward and a relying party holding its tokens (offline_access: a refresh token). */
  async function sessionWithTokens(instance: Instance, user: User) {
    const browser = await loggedIn(instance, user);
    const rp = await relyingParty(instance);
    const { tokens } = await signIn(rp, browser, { scope: 'openid offline_access email', prompt: 'consent' });
    expect(tokens?.refresh_token, 'a refresh token').toBeTruthy();
    return { browser, rp, tokens: tokens! };
  }

  const errorOf = async (work: Promise<unknown>) =>
    work.then(
      () => 'no error',
      (error: { error?: string; status?: number }) => error.error ?? error.status ?? `unexpected: ${(error as Error).message}`,
    );

  /** Nothing the relying party holds works: refresh invalid_grant, introspection inactive, userinfo 401. */
  async function expectEnded(rp: RelyingParty, tokens: oidc.TokenEndpointResponse, user: User) {
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(rp.config, tokens.refresh_token!)).active).toBe(false);
    expect(await errorOf(oidc.fetchUserInfo(rp.config, tokens.access_token, user.id))).toBe(401);
    expect(await errorOf(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!))).toBe('invalid_grant');
  }

  async function adminBrowser(instance: Instance, admin: User) {
    return loggedIn(instance, admin);
  }

  const endings: Array<[string, (ctx: { instance: Instance; admin: User; user: User; browser: Browser }) => Promise<void>]> = [
    ['a logout', async ({ browser }) => expect((await browser.api('/auth/logout')).status).toBe(204)],
    [
      'an administrator ending the user’s sessions',
      async ({ instance, admin, user }) => {
        const response = await (await adminBrowser(instance, admin)).fetch(`/api/v1/admin/users/${user.id}/sessions`, { method: 'DELETE' });
        expect(response.status).toBe(200);
      },
    ],
    [
      'a password change in another browser',
      async ({ instance, user }) => {
        const other = await loggedIn(instance, user);
        const changed = await other.api('/auth/password', { currentPassword: PASSWORD, newPassword: 'a whole new passphrase 42' });
        expect(changed.status).toBe(200);
      },
    ],
    [
      'the user being disabled',
      async ({ instance, admin, user }) => {
        const response = await (
          await adminBrowser(instance, admin)
        ).fetch(`/api/v1/admin/users/${user.id}`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ status: 'disabled' }),
        });
        expect(response.status).toBe(200);
      },
    ],
    [
      // Issue 13: DELETE /admin/users/{id} deletes the sessions first, so their trigger ends the state made from them.
      'the user being deleted',
      async ({ instance, admin, user }) => {
        const response = await (await adminBrowser(instance, admin)).fetch(`/api/v1/admin/users/${user.id}`, { method: 'DELETE' });
        expect(response.status).toBe(204);
      },
    ],
    [
      'the session being ended from the sessions list of another browser',
      async ({ instance, user }) => {
        const other = await loggedIn(instance, user);
        const listed = (await (await other.fetch('/api/v1/me/sessions')).json()) as { sessions: Array<{ id: string; current: boolean }> };
        const target = listed.sessions.find((s) => !s.current)!;
        expect((await other.fetch(`/api/v1/me/sessions/${target.id}`, { method: 'DELETE' })).status).toBe(204);
      },
    ],
    ['the session going idle (the test clock)', async () => server.deps.clock.advanceSeconds(31 * 60)],
  ];

  it.each(endings)('no token outlives the keyward session: after %s, refresh, introspection and userinfo fail', async (_name, end) => {
    const { instance, admin } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const { browser, rp, tokens } = await sessionWithTokens(instance, user);
    // Alive: everything works.
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);
    expect((await oidc.fetchUserInfo(rp.config, tokens.access_token, user.id)).sub).toBe(user.id);
    await end({ instance, admin, user, browser });
    await expectEnded(rp, tokens, user);
  });

  // Issue 13: support resets an administrator (members are their admins' to reset), so it is not
  // in `endings`, whose user is a member. The reset is the admin reset's one transaction
  // (resetTwoFactor), whose deleted sessions end the tokens made from them.
  it('no token outlives a support reset of the administrator’s two-factor authentication', async () => {
    const { instance, admin } = await givenInstance(server.deps);
    const { rp, tokens } = await sessionWithTokens(instance, admin);
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);
    const { client: support } = await givenOperatorLoggedIn(server.app, server.deps, server.origin);
    const reset = await support.post(`/api/v1/support/instances/${instance.slug}/users/${admin.id}/two-factor/reset`, {
      verification: { method: 'contract_contact', reference: 'TICKET-13' },
    });
    expect(reset.statusCode, reset.body).toBe(204);
    await expectEnded(rp, tokens, admin);
  });

  it('the eager revocation deletes the state of an ended session; another session’s tokens stay', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const first = await sessionWithTokens(instance, user);
    const second = await sessionWithTokens(instance, user);
    const linked = () =>
      server.database.db
        .selectFrom('oidc_state')
        .select(['model'])
        .where('instance_id', '=', instance.id)
        .where('keyward_session_id', 'is not', null)
        .execute();
    const before = (await linked()).map((row) => row.model);
    for (const model of ['Session', 'Grant', 'AccessToken', 'RefreshToken']) expect(before, model).toContain(model);
    expect((await first.browser.api('/auth/logout')).status).toBe(204);
    expect((await linked()).length).toBeLessThan(before.length);
    await expectEnded(first.rp, first.tokens, user);
    expect((await oidc.tokenIntrospection(second.rp.config, second.tokens.access_token)).active).toBe(true);
    expect((await oidc.refreshTokenGrant(second.rp.config, second.tokens.refresh_token!)).access_token).toBeTruthy();
  });

  it('a live session’s refresh token rotates: the new one works, the old one is refused; a revoked one is refused', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const { rp, tokens } = await sessionWithTokens(instance, user);
    const rotated = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(rotated.refresh_token).toBeTruthy();
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect((await oidc.fetchUserInfo(rp.config, rotated.access_token, user.id)).sub).toBe(user.id);
    const again = await oidc.refreshTokenGrant(rp.config, rotated.refresh_token!);
    // The one used before is refused (and, used twice, the library revokes its grant: RFC 9700 §4.14.2).
    expect(await errorOf(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!))).toBe('invalid_grant');
    expect(await errorOf(oidc.refreshTokenGrant(rp.config, again.refresh_token!))).toBe('invalid_grant');

    const fresh = await sessionWithTokens(instance, user);
    await oidc.tokenRevocation(fresh.rp.config, fresh.tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(fresh.rp.config, fresh.tokens.refresh_token!)).active).toBe(false);
    expect(await errorOf(oidc.refreshTokenGrant(fresh.rp.config, fresh.tokens.refresh_token!))).toBe('invalid_grant');
  });

  it('a step-up (a new session id for the same login) keeps the tokens made before it', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const { browser, rp, tokens } = await sessionWithTokens(instance, user);
    const now = () => server.deps.clock.now();
    const secret = (await browser.api('/auth/setup', { currentPassword: PASSWORD })).json.secret as string;
    await browser.fetch('/api/v1/me/two-factor', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true }),
    });
    // Binding an app is a credential event: it ends the user's sessions, this one gets a new id.
    expect((await browser.api('/auth/setup/confirm', { code: oathtool(secret, now()) })).json).toEqual({ next: 'done' });
    await expectEnded(rp, tokens, user);
    const after = await signIn(rp, browser, { scope: 'openid offline_access email', prompt: 'consent' });
    server.deps.clock.advanceSeconds(30);
    expect((await browser.api('/auth/step-up', { code: oathtool(secret, now()) })).status).toBe(204);
    expect((await oidc.tokenIntrospection(rp.config, after.tokens!.access_token)).active).toBe(true);
    expect((await oidc.refreshTokenGrant(rp.config, after.tokens!.refresh_token!)).access_token).toBeTruthy();
    // ...and they still end with it.
    expect((await browser.api('/auth/logout')).status).toBe(204);
    expect((await oidc.tokenIntrospection(rp.config, after.tokens!.access_token)).active).toBe(false);
  });

  /** A relying party's back-channel logout endpoint on loopback: what it received, and what it answers next. */
  async function logoutListener(answers: number[] = []) {
    const received: Array<{ contentType: string | undefined; body: URLSearchParams }> = [];
    const listener = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        received.push({ contentType: request.headers['content-type'], body: new URLSearchParams(body) });
        response.statusCode = answers.shift() ?? 200;
        response.end();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listeners.push(listener);
    const { port } = listener.address() as AddressInfo;
    return { uri: `http://127.0.0.1:${port}/backchannel`, received };
  }
  const listeners: Server[] = [];
  afterAll(async () => {
    await Promise.all(listeners.map((l) => new Promise((resolve) => l.close(resolve))));
  });

  /** A user signed in to keyward and, through a client with a back-channel logout URI, to its relying party. */
  async function signedInWithBackchannel(instance: Instance, user: User, answers?: number[]) {
    const listener = await logoutListener(answers);
    const rp = await relyingParty(instance, { backchannelLogoutUri: listener.uri });
    const browser = await loggedIn(instance, user);
    const { tokens } = await signIn(rp, browser);
    return { listener, rp, browser, tokens: tokens! };
  }

  /** Verifies a received logout token as a relying party does (Back-Channel Logout 1.0 §2.6), with jose against the instance's JWKS. */
  async function verifiedLogoutToken(rp: RelyingParty, received: { contentType: string | undefined; body: URLSearchParams }) {
    expect(received.contentType).toBe('application/x-www-form-urlencoded');
    const token = received.body.get('logout_token')!;
    const jwks = createRemoteJWKSet(new URL(rp.config.serverMetadata().jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: rp.config.serverMetadata().issuer, audience: rp.clientId });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload.nonce).toBeUndefined();
    expect(typeof payload.jti).toBe('string');
    return payload;
  }

  it('back-channel logout: a keyward logout sends the client one logout token, verified against the JWKS, with the ID token’s sid', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const { listener, rp, browser, tokens } = await signedInWithBackchannel(instance, user);
    const sid = tokens.claims()!.sid as string;
    expect(typeof sid).toBe('string');
    expect((await browser.api('/auth/logout')).status).toBe(204);
    expect(await server.app.oidcBackchannel.drain()).toBe(1);
    expect(listener.received).toHaveLength(1);
    const payload = await verifiedLogoutToken(rp, listener.received[0]!);
    expect([payload.sub, payload.sid]).toEqual([user.id, sid]);
    // Once: nothing more is owed.
    expect(await server.app.oidcBackchannel.drain()).toBe(0);
    expect(listener.received).toHaveLength(1);
  });

  it('back-channel logout retries a relying party that answered 500, later, and delivers once after success', async () => {
    const { instance, admin } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const { listener, rp, tokens } = await signedInWithBackchannel(instance, user, [500]);
    const response = await (await loggedIn(instance, admin)).fetch(`/api/v1/admin/users/${user.id}/sessions`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await server.app.oidcBackchannel.drain()).toBe(0);
    expect(listener.received).toHaveLength(1);
    // Not due again before its backoff.
    expect(await server.app.oidcBackchannel.drain()).toBe(0);
    expect(listener.received).toHaveLength(1);
    server.deps.clock.advanceSeconds(10);
    expect(await server.app.oidcBackchannel.drain()).toBe(1);
    expect(listener.received).toHaveLength(2);
    expect((await verifiedLogoutToken(rp, listener.received[1]!)).sid).toBe(tokens.claims()!.sid);
    server.deps.clock.advanceSeconds(3600);
    expect(await server.app.oidcBackchannel.drain()).toBe(0);
    expect(listener.received).toHaveLength(2);
  });

  it('back-channel logout after an RP-initiated logout goes through the same queue, once; a restarted server delivers what is queued', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const { listener, rp, browser, tokens } = await signedInWithBackchannel(instance, user);
    const url = oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: rp.postLogout });
    expect((await submit(browser, await logoutForm(browser, url), { logout: 'yes' })).status).toBe(303);
    expect((await browser.fetch('/api/v1/me')).status).toBe(401);
    // Another process over the same database (a restart) delivers it.
    const restarted = await testApp(server.deps, { publicUrl: new URL(`${server.origin}/`) });
    try {
      expect(await restarted.oidcBackchannel.drain()).toBe(1);
    } finally {
      await restarted.close();
    }
    expect(listener.received).toHaveLength(1);
    expect((await verifiedLogoutToken(rp, listener.received[0]!)).sid).toBe(tokens.claims()!.sid);
    expect(await server.app.oidcBackchannel.drain()).toBe(0);
    expect(listener.received).toHaveLength(1);
  });

  it('back-channel logout for a session that went idle: housekeeping ends it and the token is sent', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const { listener, rp, tokens } = await signedInWithBackchannel(instance, user);
    // This user's sessions were last seen 31 minutes ago by the database's clock (idle: 30). Not the clock moved on: in
    // the shared test database, housekeeping would then end other files' sessions too.
    await server.database.db
      .updateTable('sessions')
      .set({ last_seen_at: sql`now() - interval '31 minutes'` })
      .where('user_id', '=', user.id)
      .execute();
    // By the real clock (this file's test clock is hours on after the idle test above).
    await cleanUp({ ...server.deps, clock: { now: () => new Date() } });
    expect(await server.app.oidcBackchannel.drain()).toBe(1);
    expect((await verifiedLogoutToken(rp, listener.received[0]!)).sid).toBe(tokens.claims()!.sid);
  });
});
