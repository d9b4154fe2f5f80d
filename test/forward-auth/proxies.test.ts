/**
 * Forward auth through real reverse proxies (issue 14, SPEC §7): Debian's nginx with auth_request
 * and Caddy with forward_auth, each started with the site configuration docs/forward-auth.md
 * shows (examples/forward-auth/), in front of an echo application that knows nothing of keyward.
 * A browser (node:http with a cookie jar per host, as browsers keep host-only cookies) goes
 * through the proxy to the application's host `app-….test:PORT`, is sent to keyward's login,
 * logs in with a password and an oathtool code, and comes back; the echo shows what the
 * application received.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD } from '../support/deps.ts';
import { useOidcServer, type OidcServer } from '../support/oidc.ts';
import { givenProtectedApp, HostBrowser, IDENTITY, withApp } from '../support/forward-auth.ts';
import {
  caddyInstalled,
  nginxInstalled,
  startCaddy,
  startEcho,
  startNginx,
  throughProxy,
  type EchoApp,
  type EchoedRequest,
  type Proxy,
  type ProxyAnswer,
} from '../support/proxies.ts';
import type { AppRule } from '../../src/domain/forward-auth/protected-app.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

const MAX_HOPS = 15;

// CI must run these: there, a missing nginx or Caddy is a failure, not a skip (.ci/run installs both).
if (process.env.CI === 'true' && !(nginxInstalled() && caddyInstalled())) {
  throw new Error('CI=true but nginx or caddy is missing: .ci/run installs the Debian packages nginx and caddy');
}

const proxies = [
  { name: 'nginx auth_request', installed: nginxInstalled(), start: startNginx },
  { name: 'Caddy forward_auth', installed: caddyInstalled(), start: startCaddy },
].flatMap((proxy) => engines().map((engine) => ({ ...proxy, engine })));

describe.each(proxies)('forward auth through $name on $engine', { timeout: 60_000 }, ({ installed, start, engine }) => {
  let server: OidcServer;
  let echo: EchoApp;
  let proxy: Proxy;
  // The proxy reaches keyward from 127.0.0.1, the one address keyward believes forwarded headers from.
  useOidcServer(engine, (s) => (server = s), { trustProxy: ['127.0.0.1'] });
  beforeAll(async () => {
    if (!installed) return;
    echo = await startEcho();
    proxy = await start({ keywardPort: Number(new URL(server.origin).port), appPort: echo.port });
  });
  afterAll(async () => {
    await proxy?.stop();
    await echo?.stop();
  });

  /** A host of its own per test (hosts are unique across instances), served by the proxy's port. */
  const appHost = () => `app-${randomBytes(4).toString('hex')}.test:${proxy.port}`;

  async function givenApp(instance: Instance, rules: AppRule[] = []) {
    const host = appHost();
    const app = await givenProtectedApp(server, instance, rules, host);
    return { app, origin: `http://${host}` };
  }

  /**
   * A browser: keyward's hops through `keyward` (fetch, its own cookies), the application's hops
   * through the proxy with that host's cookies. Follows redirects until keyward's login page of an
   * instance (returned: the test logs in through the JSON API, as the SPA does) or an answer that
   * is no redirect.
   */
  class Visitor {
    readonly keyward = new HostBrowser(server.origin);
    readonly jars = new Map<string, Map<string, string>>();
    jar(host: string): Map<string, string> {
      if (!this.jars.has(host)) this.jars.set(host, new Map());
      return this.jars.get(host)!;
    }
    async visit(url: string, headers: Record<string, string> = {}): Promise<{ login?: URL; answer?: ProxyAnswer; trail: string[] }> {
      let next = new URL(url);
      const trail: string[] = [];
      for (let hops = 0; hops < MAX_HOPS; hops += 1) {
        trail.push(`${next.origin}${next.pathname}`);
        if (next.origin === server.origin && /^\/i\/[^/]+\/login$/.test(next.pathname)) return { login: next, trail };
        let answer: ProxyAnswer;
        if (next.origin === server.origin) {
          const response = await this.keyward.fetch(next);
          answer = { status: response.status, location: response.headers.get('location'), headers: {}, body: await response.text() };
        } else {
          answer = await throughProxy(proxy, next, this.jar(next.host), hops === 0 ? headers : {});
        }
        if (answer.status < 300 || answer.status >= 400 || !answer.location) return { answer, trail };
        next = new URL(answer.location, next);
      }
      throw new Error(`more than ${MAX_HOPS} redirects: ${trail.join(' → ')}\n${proxy.log()}`);
    }
    /** Continues the instance's interaction `login` after the JSON login; back through the callback to the application. */
    resume(instance: Instance, login: URL) {
      return this.visit(`${server.issuer(instance.slug)}/interaction/${login.searchParams.get('interaction')}`);
    }
  }

  const echoed = (answer: ProxyAnswer | undefined): EchoedRequest => {
    expect(answer?.status, answer?.body).toBe(200);
    return JSON.parse(answer!.body) as EchoedRequest;
  };

  /** A user with an authenticator app, signed in to the application through the proxy with password and code. */
  async function signedIn(instance: Instance, url: string) {
    const setup = new HostBrowser(server.origin);
    const { user, code } = await withApp(server.deps, instance, setup);
    const visitor = new Visitor();
    const first = await visitor.visit(url);
    expect(first.login?.pathname, `${first.trail.join(' → ')}\n${proxy.log()}`).toBe(`/i/${instance.slug}/login`);
    expect((await visitor.keyward.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json.next).toBe(
      'verify',
    );
    expect((await visitor.keyward.api('/auth/verify', { code: code() })).json.next).toBe('done');
    const back = await visitor.resume(instance, first.login!);
    return { user, code, visitor, setup, back };
  }

  it.skipIf(!installed)(
    'sends a browser without a session to the login, and after password and oathtool code the application sees who it is',
    async () => {
      const { instance } = await givenInstance(server.deps);
      const { app, origin } = await givenApp(instance);
      const { user, visitor, back } = await signedIn(instance, `${origin}/reports/q1?year=2026&tab=2`);
      expect(back.trail, 'came back through the callback on the application’s host').toContain(`${origin}/.keyward/callback`);
      const seen = echoed(back.answer);
      expect(seen.url).toBe('/reports/q1?year=2026&tab=2');
      expect(seen.headers).toMatchObject({
        'remote-user': user.id,
        'remote-email': user.email,
        'remote-name': user.name,
        'remote-groups': 'member',
        'remote-instance': instance.slug,
        'remote-amr': 'pwd,otp,mfa',
      });
      // The application can check who sent the request: Remote-Jwt against the instance's JWKS.
      const { payload } = await jwtVerify(
        seen.headers['remote-jwt'] as string,
        createRemoteJWKSet(new URL(`${server.issuer(instance.slug)}/jwks`)),
        {
          issuer: server.issuer(instance.slug),
          audience: app.id,
          currentDate: server.deps.clock.now(),
        },
      );
      expect(payload.sub).toBe(user.id);
      // The forward cookie lives on the application's host only, never on keyward's.
      expect([...visitor.jar(new URL(origin).host).keys()]).toEqual(['keyward_fa']);
      expect(visitor.keyward.cookies(new URL(server.origin).host).has('keyward_fa')).toBe(false);
    },
  );

  it.skipIf(!installed)('overwrites identity headers the client sent, on every request, signed in or not', async () => {
    const { instance } = await givenInstance(server.deps);
    const { origin } = await givenApp(instance);
    const forged = Object.fromEntries(IDENTITY.map((name) => [name, 'forged-by-client']));
    // Not signed in: nothing reaches the application, the browser is sent to sign in.
    const stranger = await throughProxy(proxy, new URL(`${origin}/`), new Map(), forged);
    expect([stranger.status, echo.seen.some((r) => r.headers.host === new URL(origin).host)]).toEqual([302, false]);

    const { user, visitor } = await signedIn(instance, `${origin}/`);
    const seen = echoed((await visitor.visit(`${origin}/again`, forged)).answer);
    expect(seen.headers['remote-user']).toBe(user.id);
    for (const name of IDENTITY) expect([name, seen.headers[name]]).not.toEqual([name, 'forged-by-client']);
  });

  it.skipIf(!installed)('asks a known location’s password-only session for a code on an mfa path, then lets it in', async () => {
    const { instance } = await givenInstance(server.deps);
    const { origin } = await givenApp(instance, [{ prefix: '/admin', require: 'mfa' }]);
    const visitor = new Visitor();
    const { user, code } = await withApp(server.deps, instance, visitor.keyward);
    await visitor.keyward.api('/auth/logout');
    // The browser's known location: the password alone signs in at keyward.
    expect((await visitor.keyward.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json.next).toBe(
      'done',
    );
    const home = await visitor.visit(`${origin}/`);
    expect(echoed(home.answer).headers['remote-amr']).toBe('pwd');

    const admin = await visitor.visit(`${origin}/admin/users`);
    expect(admin.login?.searchParams.get('step'), admin.trail.join(' → ')).toBe('step_up');
    expect((await visitor.keyward.api('/auth/step-up', { code: code() })).status).toBe(204);
    const back = await visitor.resume(instance, admin.login!);
    const seen = echoed(back.answer);
    expect([seen.url, seen.headers['remote-amr']]).toEqual(['/admin/users', 'pwd,otp,mfa']);
  });

  it.skipIf(!installed)('ends access on the next request after a logout at keyward and after an administrator’s 2FA reset', async () => {
    const { instance, admin } = await givenInstance(server.deps);
    const { origin } = await givenApp(instance);
    const adminBrowser = new HostBrowser(server.origin);
    await withApp(server.deps, instance, adminBrowser, admin);

    const first = await signedIn(instance, `${origin}/`);
    echoed((await first.visitor.visit(`${origin}/page`)).answer);
    await first.visitor.keyward.api('/auth/logout');
    const afterLogout = await first.visitor.visit(`${origin}/page`);
    expect(afterLogout.login?.pathname, afterLogout.trail.join(' → ')).toBe(`/i/${instance.slug}/login`);

    const second = await signedIn(instance, `${origin}/`);
    echoed((await second.visitor.visit(`${origin}/page`)).answer);
    expect((await adminBrowser.api(`/admin/users/${second.user.id}/two-factor/reset`, {})).status).toBe(204);
    const afterReset = await throughProxy(proxy, new URL(`${origin}/page`), second.visitor.jar(new URL(origin).host));
    expect([afterReset.status, afterReset.location]).toEqual([302, `${origin}/.keyward/start?rd=${encodeURIComponent(`${origin}/page`)}`]);
  });

  it.skipIf(!installed)('/.keyward/logout on the application’s host ends the access and the keyward session', async () => {
    const { instance } = await givenInstance(server.deps);
    const { origin } = await givenApp(instance);
    const { visitor } = await signedIn(instance, `${origin}/`);
    const out = await throughProxy(proxy, new URL(`${origin}/.keyward/logout`), visitor.jar(new URL(origin).host));
    expect([out.status, out.location]).toEqual([302, `${server.origin}/i/${instance.slug}/login`]);
    expect(visitor.jar(new URL(origin).host).has('keyward_fa')).toBe(false);
    expect((await visitor.keyward.api('/me', undefined, 'GET')).status).toBe(401);
  });

  it.skipIf(!installed)('refuses an open redirect through the return URL', async () => {
    const { instance } = await givenInstance(server.deps);
    const { origin } = await givenApp(instance);
    const host = new URL(origin).host;
    for (const rd of ['http://evil.example/', `http://${host}@evil.example/`, '//evil.example/x', 'javascript:alert(1)']) {
      const answer = await throughProxy(proxy, new URL(`${origin}/.keyward/start?rd=${encodeURIComponent(rd)}`), new Map());
      expect([rd, answer.status, answer.location]).toEqual([rd, 400, null]);
      expect(answer.body).toContain('invalid_return_url');
    }
  });

  it.skipIf(!installed)('refuses another instance’s session: its forward cookie does not open this instance’s application', async () => {
    const { instance } = await givenInstance(server.deps);
    const { instance: other } = await givenInstance(server.deps);
    const mine = await givenApp(instance);
    const theirs = await givenApp(other);
    const { visitor } = await signedIn(other, `${theirs.origin}/`);
    // The other instance's forward cookie, carried over to this application's host by hand.
    const stolen = new Map(visitor.jar(new URL(theirs.origin).host));
    const answer = await throughProxy(proxy, new URL(`${mine.origin}/`), stolen);
    expect([answer.status, answer.location]).toEqual([302, `${mine.origin}/.keyward/start?rd=${encodeURIComponent(`${mine.origin}/`)}`]);
    // And signed in to the other instance at keyward, the sign-in still asks for this instance's login.
    const at = await visitor.visit(`${mine.origin}/`);
    expect(at.login?.pathname).toBe(`/i/${instance.slug}/login`);
  });
});
