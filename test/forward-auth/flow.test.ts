import { describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD } from '../support/deps.ts';
import { useOidcServer, type OidcServer } from '../support/oidc.ts';
import { appOriginOf, askProxy, givenProtectedApp, HostBrowser, identityOf, withApp } from '../support/forward-auth.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

/**
 * Forward auth end to end through keyward's HTTP (SPEC §7): the browser signs in on the
 * application's host through the instance's OpenID Connect flow, and the proxy's question is then
 * answered from the forward cookie. The proxy is simulated by sending what nginx sends.
 */
describe.each(engines())('Forward auth sign-in and the proxy’s question on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s), { trustProxy: ['127.0.0.1'] });

  /** The browser at keyward's login page after /.keyward/start?rd=…; the interaction's uid. */
  async function startAt(browser: HostBrowser, rd: string) {
    const at = await browser.follow(`${appOriginOf(server)}/.keyward/start?rd=${encodeURIComponent(rd)}`, () => false);
    return at;
  }
  /** Resumes the interaction and follows the callback back to the application (stopping at it). */
  async function resume(browser: HostBrowser, instance: Instance, uid: string) {
    const appOrigin = appOriginOf(server);
    return browser.follow(
      `/i/${instance.slug}/interaction/${uid}`,
      (url) => url.origin === appOrigin && !url.pathname.startsWith('/.keyward/'),
    );
  }
  /**
   * A member with an app whose browser is a known location, logged in again with the password
   * alone (no code in this session), and an application with 2FA on /admin.
   */
  async function passwordOnlyAtKnownLocation() {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance, [{ prefix: '/admin', require: 'mfa' }]);
    const browser = new HostBrowser(server.origin);
    const { user, code } = await withApp(server.deps, instance, browser);
    await browser.api('/auth/logout');
    expect((await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json.next).toBe('done');
    const appOrigin = appOriginOf(server);
    const toApp = (url: URL) => url.origin === appOrigin && !url.pathname.startsWith('/.keyward/');
    return { instance, browser, code, appOrigin, toApp };
  }

  /** A full sign-in with password and code in a new browser; the browser then holds the forward cookie. */
  async function signedIn(instance: Instance, rd: string) {
    const setupBrowser = new HostBrowser(server.origin);
    const { user, code } = await withApp(server.deps, instance, setupBrowser);
    const browser = new HostBrowser(server.origin);
    const at = await startAt(browser, rd);
    expect(at.login?.pathname).toBe(`/i/${instance.slug}/login`);
    const uid = at.login!.searchParams.get('interaction')!;
    expect((await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json.next).toBe('verify');
    expect((await browser.api('/auth/verify', { code: code() })).json.next).toBe('done');
    const back = await resume(browser, instance, uid);
    expect(back.stopped?.href).toBe(rd);
    return { user, browser, code, setupBrowser };
  }

  it('signs in on the application’s host with password and code, then answers 200 with every identity header and a Remote-Jwt the JWKS verifies', async () => {
    const { instance } = await givenInstance(server.deps);
    const app = await givenProtectedApp(server, instance);
    const rd = `${appOriginOf(server)}/dashboard?tab=1`;
    const { user, browser } = await signedIn(instance, rd);
    const appHost = new URL(rd).host;
    // Host-only: the forward cookie is on the application's host and nowhere else.
    expect([...browser.cookies(appHost).keys()]).toEqual(['keyward_fa']);
    expect(browser.cookies(new URL(server.origin).host).has('keyward_fa')).toBe(false);

    const answer = await askProxy(server, browser, rd);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const identity = identityOf(answer);
    expect(identity).toMatchObject({
      'remote-user': user.id,
      'remote-email': user.email,
      'remote-name': user.name,
      'remote-groups': 'member',
      'remote-instance': instance.slug,
      'remote-amr': 'pwd,otp,mfa',
    });
    const jwks = createRemoteJWKSet(new URL(`${server.issuer(instance.slug)}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(identity['remote-jwt']!, jwks, {
      issuer: server.issuer(instance.slug),
      audience: app.id,
      currentDate: server.deps.clock.now(),
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ sub: user.id, email: user.email, amr: ['pwd', 'otp', 'mfa'] });
    expect(payload.exp! - payload.iat!).toBe(60);

    // Traefik/Caddy's endpoint answers the same 200.
    expect((await askProxy(server, browser, rd, 'forward-auth')).status).toBe(200);
  });

  it('without a session: auth-request 401 and forward-auth 302 to /.keyward/start with the URL, every identity header empty', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    const rd = `${appOriginOf(server)}/reports/q1?x=1`;
    const browser = new HostBrowser(server.origin);
    browser.cookies(new URL(rd).host).set('keyward_fa', 'AAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const nginx = await askProxy(server, browser, rd);
    expect(nginx.status).toBe(401);
    // nginx's error_page takes the sign-in address from the 401's Location (examples/forward-auth/nginx.conf).
    expect(nginx.headers.get('location')).toBe(`${appOriginOf(server)}/.keyward/start?rd=${encodeURIComponent(rd)}`);
    expect(Object.values(identityOf(nginx))).toEqual(Array(7).fill(''));
    const caddy = await askProxy(server, browser, rd, 'forward-auth');
    expect(caddy.status).toBe(302);
    expect(caddy.headers.get('location')).toBe(`${appOriginOf(server)}/.keyward/start?rd=${encodeURIComponent(rd)}`);
    expect(Object.values(identityOf(caddy))).toEqual(Array(7).fill(''));
  });

  it('believes X-Forwarded-* and the cookie only from a TRUST_PROXY address: 403 proxy_not_trusted with empty identity headers', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    const rd = `${appOriginOf(server)}/`;
    const { browser } = await signedIn(instance, rd);
    const answer = await server.app.inject({
      method: 'GET',
      url: '/api/v1/authz/auth-request',
      remoteAddress: '203.0.113.9',
      headers: { 'x-original-url': rd, cookie: browser.cookieHeader(new URL(rd).host), 'remote-user': 'admin' },
    });
    expect(answer.statusCode).toBe(403);
    expect(answer.json().error.code).toBe('proxy_not_trusted');
    expect(answer.headers['remote-user']).toBe('');
    expect(answer.headers['remote-jwt']).toBe('');
  });

  it('reads Traefik’s and Caddy’s X-Forwarded-Proto, -Host and -Uri as nginx’s X-Original-URL', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance, [{ prefix: '/admin', require: 'admin' }]);
    const rd = `${appOriginOf(server)}/`;
    const { browser } = await signedIn(instance, rd);
    const appHost = new URL(rd).host;
    const ask = (uri: string) =>
      fetch(`${server.origin}/api/v1/authz/forward-auth`, {
        redirect: 'manual',
        headers: {
          'x-forwarded-proto': 'http',
          'x-forwarded-host': appHost,
          'x-forwarded-uri': uri,
          'x-forwarded-method': 'POST',
          cookie: browser.cookieHeader(appHost),
        },
      });
    expect((await ask('/reports?q=1')).status).toBe(200);
    expect((await ask('/admin/x')).status).toBe(403);
  });

  it('on https (X-Forwarded-Proto from the trusted proxy) the start cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, host-only', async () => {
    const { instance } = await givenInstance(server.deps);
    const app = await givenProtectedApp(server, instance, [], 'secure-app.example.test');
    const started = await server.app.inject({
      method: 'GET',
      url: `/.keyward/start?rd=${encodeURIComponent('https://secure-app.example.test/x')}`,
      remoteAddress: '127.0.0.1',
      headers: { host: '127.0.0.1', 'x-forwarded-host': 'secure-app.example.test', 'x-forwarded-proto': 'https' },
    });
    expect(started.statusCode).toBe(302);
    const cookie = String(started.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-keyward_fa_start=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const location = new URL(String(started.headers.location));
    expect(location.searchParams.get('redirect_uri')).toBe('https://secure-app.example.test/.keyward/callback');
    expect(location.searchParams.get('client_id')).toBe(app.clientId);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    // From an untrusted peer the forwarded host is the client's word: not this application.
    const spoofed = await server.app.inject({
      method: 'GET',
      url: '/.keyward/start',
      remoteAddress: '203.0.113.9',
      headers: { host: '127.0.0.1', 'x-forwarded-host': 'secure-app.example.test', 'x-forwarded-proto': 'https' },
    });
    expect(spoofed.statusCode).toBe(403);
  });

  it('a forward cookie opens only its own application on its own host', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    await givenProtectedApp(server, instance, [], 'other-app.example.test');
    const rd = `${appOriginOf(server)}/`;
    const { browser } = await signedIn(instance, rd);
    const cookie = browser.cookieHeader(new URL(rd).host);
    expect((await askProxy(server, browser, rd)).status).toBe(200);
    const elsewhere = await fetch(`${server.origin}/api/v1/authz/auth-request`, {
      headers: { 'x-original-url': 'http://other-app.example.test/', cookie },
    });
    expect(elsewhere.status).toBe(401);
  });

  it('sends a name beyond ASCII percent-encoded as UTF-8, and exact in Remote-Jwt', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    const rd = `${appOriginOf(server)}/`;
    const { browser, user } = await signedIn(instance, rd);
    await server.deps.stores.forInstance(instance.id).users.update(user.id, { name: 'Zoë 山田' });
    const answer = await askProxy(server, browser, rd);
    expect(answer.headers.get('remote-name')).toBe('Zo%C3%AB %E5%B1%B1%E7%94%B0');
    expect(decodeURIComponent(answer.headers.get('remote-name')!)).toBe('Zoë 山田');
    const jwt = JSON.parse(Buffer.from(answer.headers.get('remote-jwt')!.split('.')[1]!, 'base64url').toString('utf8')) as { name: string };
    expect(jwt.name).toBe('Zoë 山田');
  });

  it('answers 403 unknown_host for a host no application has', async () => {
    const browser = new HostBrowser(server.origin);
    const answer = await askProxy(server, browser, 'http://nothing-here.example.test/');
    expect(answer.status).toBe(403);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('unknown_host');
  });

  it('refuses return URLs off the application’s hosts at the start: 400 invalid_return_url, no redirect', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    const appOrigin = appOriginOf(server);
    const appHost = new URL(appOrigin).host;
    for (const rd of [
      'https://evil.example/',
      '//evil.example/',
      '/relative',
      'javascript:alert(1)',
      `http://${appHost}@evil.example/`,
      `http://evil.example/${appHost}`,
      `http:\\\\evil.example`,
      `http://evil.example#${appHost}`,
      `data:text/html,x`,
    ]) {
      const response = await new HostBrowser(server.origin).fetch(`${appOrigin}/.keyward/start?rd=${encodeURIComponent(rd)}`);
      expect([rd, response.status, response.headers.get('location')]).toEqual([rd, 400, null]);
      expect(await response.text()).toContain('invalid_return_url');
    }
    const ok = await new HostBrowser(server.origin).fetch(`${appOrigin}/.keyward/start?rd=${encodeURIComponent(`${appOrigin}/x`)}`);
    expect(ok.status).toBe(302);
    expect(new URL(ok.headers.get('location')!).origin).toBe(server.origin);
  });

  it('does not let another instance’s session in: its signed-in user gets the login page, not a forward session', async () => {
    const { instance } = await givenInstance(server.deps);
    const { instance: other } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    const browser = new HostBrowser(server.origin);
    const { user } = await withApp(server.deps, other, browser);
    expect(user.instanceId).toBe(other.id);
    // Signed in at keyward, to the other instance: the start still ends at this instance's login page.
    const at = await startAt(browser, `${appOriginOf(server)}/`);
    expect(at.login?.pathname).toBe(`/i/${instance.slug}/login`);
    expect(browser.cookies(new URL(appOriginOf(server)).host).has('keyward_fa')).toBe(false);
  });

  it('a callback with a state of another start is refused without a redirect', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    const browser = new HostBrowser(server.origin);
    await browser.fetch(`${appOriginOf(server)}/.keyward/start`);
    const response = await browser.fetch(`${appOriginOf(server)}/.keyward/callback?code=abc&state=forged`);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('an mfa path from a known location’s password-only session: 401, then the start asks for the code and the answer is 200', async () => {
    const { instance, browser, code, appOrigin, toApp } = await passwordOnlyAtKnownLocation();
    // A page without a rule needs no code: the known location's session signs in silently.
    expect((await browser.follow(`${appOrigin}/.keyward/start?rd=${encodeURIComponent(`${appOrigin}/`)}`, toApp)).stopped?.href).toBe(
      `${appOrigin}/`,
    );
    const home = await askProxy(server, browser, `${appOrigin}/`);
    expect([home.status, home.headers.get('remote-amr')]).toEqual([200, 'pwd']);
    // /admin needs a code, also written the ways an upstream would read as /admin.
    for (const path of ['/admin', '/admin/users', '/public/../admin/', '//admin', '/%61dmin']) {
      expect([path, (await askProxy(server, browser, `${appOrigin}${path}`)).status]).toEqual([path, 401]);
    }
    const admin = `${appOrigin}/admin/users`;
    const at = await browser.follow(`${appOrigin}/.keyward/start?rd=${encodeURIComponent(admin)}`, toApp);
    expect(at.login?.searchParams.get('step')).toBe('step_up');
    expect((await browser.api('/auth/step-up', { code: code() })).status).toBe(204);
    const back = await resume(browser, instance, at.login!.searchParams.get('interaction')!);
    expect(back.stopped?.href).toBe(admin);
    const answer = await askProxy(server, browser, admin);
    expect([answer.status, answer.headers.get('remote-amr')]).toEqual([200, 'pwd,otp,mfa']);
  });

  it('a step-up at keyward keeps the application signed in, and its answers then say mfa', async () => {
    const { browser, code, appOrigin, toApp } = await passwordOnlyAtKnownLocation();
    await browser.follow(`${appOrigin}/.keyward/start`, toApp);
    expect((await askProxy(server, browser, `${appOrigin}/admin`)).status).toBe(401);
    expect((await browser.api('/auth/step-up', { code: code() })).status).toBe(204);
    const after = await askProxy(server, browser, `${appOrigin}/admin`);
    expect([after.status, after.headers.get('remote-amr')]).toEqual([200, 'pwd,otp,mfa']);
  });

  it('an mfa path for an account without an authenticator app ends on a page that says to set one up, with links, never a redirect', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance, [{ prefix: '/admin', require: 'mfa' }]);
    const user = await givenUser(server.deps, instance);
    const appOrigin = appOriginOf(server);
    const admin = `${appOrigin}/admin/`;
    const browser = new HostBrowser(server.origin);
    const at = await startAt(browser, admin);
    expect((await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json.next).toBe('done');
    const back = await resume(browser, instance, at.login!.searchParams.get('interaction')!);
    const page = back.response!;
    expect([new URL(page.url).pathname, page.status, page.headers.get('location')]).toEqual(['/.keyward/callback', 400, null]);
    const html = await page.text();
    expect(html).toContain('unmet_authentication_requirements');
    expect(html).toContain(`href="${server.origin}/profile"`);
    expect(html).toContain(`href="${admin}"`);
    expect(browser.cookies(new URL(appOrigin).host).has('keyward_fa')).toBe(false);
  });

  it('an admin path answers a member 403 with empty identity headers, an administrator 200', async () => {
    const { instance, admin } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance, [{ prefix: '/settings', require: 'admin' }]);
    const url = `${appOriginOf(server)}/settings/x`;
    const { browser } = await signedIn(instance, `${appOriginOf(server)}/`);
    const refused = await askProxy(server, browser, url);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('remote-user')).toBe('');
    const adminBrowser = new HostBrowser(server.origin);
    expect((await adminBrowser.api('/auth/login', { instance: instance.slug, email: admin.email, password: PASSWORD })).json.next).toBe(
      'done',
    );
    const appOrigin = appOriginOf(server);
    await adminBrowser.follow(
      `${appOrigin}/.keyward/start?rd=${encodeURIComponent(url)}`,
      (u) => u.origin === appOrigin && !u.pathname.startsWith('/.keyward/'),
    );
    const allowed = await askProxy(server, adminBrowser, url);
    expect([allowed.status, allowed.headers.get('remote-groups')]).toEqual([200, 'admin']);
  });

  it('/.keyward/logout ends the forward session and the keyward session, and sends the browser to the instance’s login page', async () => {
    const { instance } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    const rd = `${appOriginOf(server)}/`;
    const { browser } = await signedIn(instance, rd);
    const before = browser.cookieHeader(new URL(rd).host);
    const out = await browser.fetch(`${appOriginOf(server)}/.keyward/logout`);
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe(`${server.origin}/i/${instance.slug}/login`);
    expect(browser.cookies(new URL(rd).host).has('keyward_fa')).toBe(false);
    const replay = await fetch(`${server.origin}/api/v1/authz/auth-request`, { headers: { 'x-original-url': rd, cookie: before } });
    expect(replay.status).toBe(401);
    expect((await browser.api('/me', undefined, 'GET')).status).toBe(401);
  });

  it.each([
    ['a logout at keyward', async (t: EndCase) => void (await t.browser.api('/auth/logout'))],
    [
      'an administrator disabling the user',
      async (t: EndCase) => {
        expect((await t.admin.api(`/admin/users/${t.userId}`, { status: 'disabled' }, 'PATCH')).status).toBe(200);
      },
    ],
    [
      'an administrator resetting the user’s 2FA',
      async (t: EndCase) => {
        expect((await t.admin.api(`/admin/users/${t.userId}/two-factor/reset`, {})).status).toBe(204);
      },
    ],
    [
      'a password change in another session',
      async (t: EndCase) => {
        const changed = await t.setupBrowser.api('/auth/password', { currentPassword: PASSWORD, newPassword: 'a whole new passphrase 42' });
        expect(changed.status).toBe(200);
      },
    ],
  ])('%s ends the application’s access on the next question', async (_title, end) => {
    const { instance, admin } = await givenInstance(server.deps);
    await givenProtectedApp(server, instance);
    const rd = `${appOriginOf(server)}/`;
    const { browser, user, setupBrowser } = await signedIn(instance, rd);
    expect((await askProxy(server, browser, rd)).status).toBe(200);
    // An administrator with an app and a fresh code (a reset of a user with an app asks for one).
    const adminBrowser = new HostBrowser(server.origin);
    await withApp(server.deps, instance, adminBrowser, admin);
    await end({ browser, admin: adminBrowser, userId: user.id, setupBrowser });
    const after = await askProxy(server, browser, rd);
    expect(after.status).toBe(401);
    expect(after.headers.get('remote-user')).toBe('');
  });
});

interface EndCase {
  browser: HostBrowser;
  admin: HostBrowser;
  setupBrowser: HostBrowser;
  userId: string;
}
