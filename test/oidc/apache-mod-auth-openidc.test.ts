import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD } from '../support/deps.ts';
import { Browser, givenOidcClient, givenUserWithApp, useOidcServer, type OidcServer } from '../support/oidc.ts';
import { oathtool } from '../support/oathtool.ts';
import { apacheAddress, apacheInstalled, startApache, type ApacheRp } from '../support/apache.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

const CONTENT = '<!doctype html><title>Protected</title><h1>The protected page</h1>';
const MAX_HOPS = 15;

/** A GET as a browser's top-level navigation sends it, with the cookies of `jar`, which it updates. */
function navigate(url: URL, jar: Map<string, string>): Promise<{ status: number; location: string | null; body: string }> {
  const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const headers = {
    accept: 'text/html,application/xhtml+xml',
    'sec-fetch-mode': 'navigate',
    'sec-fetch-dest': 'document',
    ...(cookie ? { cookie } : {}),
  };
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, timeout: 10_000 }, (response) => {
      for (const line of response.headers['set-cookie'] ?? []) {
        const [name, ...rest] = line.split(';')[0]!.split('=');
        const value = rest.join('=');
        if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name!.trim());
        else jar.set(name!.trim(), value);
      }
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, location: response.headers.location ?? null, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url.href} within 10 s`)));
    request.on('error', reject);
  });
}

// CI must run this: there, a missing apache2 is a failure, not a skip (.ci/run installs it).
const installed = apacheInstalled();
if (!installed && process.env.CI === 'true') {
  throw new Error('CI=true but apache2 with mod_auth_openidc is missing: .ci/run installs apache2 and libapache2-mod-auth-openidc');
}

// Apache httpd with mod_auth_openidc, a second relying party nobody here wrote, protects a page
// with `Require claim acr:urn:keyward:acr:mfa` and asks acr_values mfa; a browser (fetch with a
// cookie jar, Apache's and keyward's cookies as a browser keeps them for 127.0.0.1) reaches it
// through keyward's login with a password and an oathtool code.
describe.skipIf(!installed).each(engines())('Apache mod_auth_openidc as a relying party on %s', { timeout: 60_000 }, (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  const now = () => server.deps.clock.now();
  function code(secret: string): string {
    const value = oathtool(secret, now());
    server.deps.clock.advanceSeconds(30);
    return value;
  }

  async function apacheFor(instance: Instance): Promise<ApacheRp> {
    const address = await apacheAddress();
    const client = await givenOidcClient(server.deps, instance, { name: 'Apache', redirectUris: [address.redirectUri] });
    const apache = await startApache({
      port: address.port,
      discoveryUrl: `${server.issuer(instance.slug)}/.well-known/openid-configuration`,
      clientId: client.client_id,
      clientSecret: client.client_secret!,
      protectedContent: CONTENT,
    });
    onTestFinished(() => apache.stop());
    return apache;
  }

  /** A user with an authenticator app, set up in `browser` (which then knows the location). */
  const userWithApp = (instance: Instance, browser: Browser) => givenUserWithApp(server.origin, server.deps, instance, { browser });

  /**
   * Follows redirects across Apache and keyward until keyward's login page of the instance
   * (returned: the test drives the login through the JSON API as the SPA does) or an answer that
   * is no redirect (returned with its body). keyward's hops go through `browser` (its cookie jar);
   * Apache's are top-level navigations as a browser sends them, over node:http with Apache's own
   * cookies (`jar`): mod_auth_openidc answers anything else (fetch's `Sec-Fetch-Mode: cors`, an
   * XHR) with 401 instead of sending it to the provider.
   */
  async function visit(browser: Browser, jar: Map<string, string>, url: string, apache: ApacheRp) {
    let next = new URL(url);
    const trail: string[] = [];
    for (let hops = 0; hops < MAX_HOPS; hops += 1) {
      trail.push(`${next.origin}${next.pathname}`);
      if (/^\/i\/[^/]+\/login$/.test(next.pathname)) return { login: next, trail };
      let answer: { status: number; location: string | null; body: string };
      if (next.origin === apache.origin) {
        answer = await navigate(next, jar);
      } else {
        const response = await browser.fetch(next, { signal: AbortSignal.timeout(10_000) });
        answer = { status: response.status, location: response.headers.get('location'), body: await response.text() };
      }
      if (answer.status < 300 || answer.status >= 400 || !answer.location) return { status: answer.status, body: answer.body, trail };
      next = new URL(answer.location, next);
    }
    throw new Error(`more than ${MAX_HOPS} redirects: ${trail.join(' → ')}\n${apache.errorLog()}`);
  }

  const explain = (apache: ApacheRp, at: { trail: string[]; status?: number; body?: string }) =>
    `${at.trail.join(' → ')} ${at.status ?? ''} ${at.body?.slice(0, 500) ?? ''}\nApache error log:\n${apache.errorLog()}`;

  it('serves the protected page after keyward’s login with a password and an oathtool code (an ID token with acr mfa)', async () => {
    const { instance } = await givenInstance(server.deps);
    const { user, secret } = await userWithApp(instance, new Browser(server.origin));
    const apache = await apacheFor(instance);
    const browser = new Browser(server.origin);
    const jar = new Map<string, string>();

    const first = await visit(browser, jar, `${apache.origin}/protected/`, apache);
    expect(first.login?.pathname, explain(apache, first)).toBe(`/i/${instance.slug}/login`);
    const uid = first.login!.searchParams.get('interaction')!;
    expect(first.trail[1], 'Apache sent the browser to the instance’s authorization endpoint').toBe(`${server.issuer(instance.slug)}/auth`);
    expect((await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json).toMatchObject({
      next: 'verify',
    });
    expect((await browser.api('/auth/verify', { code: code(secret) })).json).toEqual({ next: 'done' });

    const back = await visit(browser, jar, `${server.issuer(instance.slug)}/interaction/${uid}`, apache);
    expect([back.status, back.body], explain(apache, back)).toEqual([200, CONTENT]);
    expect(back.trail).toContain(apache.redirectUri);
    // Apache's own session now serves the page without another trip to keyward.
    const again = await visit(browser, jar, `${apache.origin}/protected/`, apache);
    expect([again.status, again.trail.length], explain(apache, again)).toEqual([200, 1]);
  });

  it('asks a password-only session (a known location) for a code first, then serves the page', async () => {
    const { instance } = await givenInstance(server.deps);
    const browser = new Browser(server.origin);
    const { user, secret } = await userWithApp(instance, browser);
    await browser.api('/auth/logout');
    expect((await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json).toEqual({
      next: 'done',
    });
    const apache = await apacheFor(instance);
    const jar = new Map<string, string>();

    const first = await visit(browser, jar, `${apache.origin}/protected/`, apache);
    expect(first.login?.searchParams.get('step'), explain(apache, first)).toBe('step_up');
    const uid = first.login!.searchParams.get('interaction')!;
    expect((await browser.api('/auth/step-up', { code: code(secret) })).status).toBe(204);
    const back = await visit(browser, jar, `${server.issuer(instance.slug)}/interaction/${uid}`, apache);
    expect([back.status, back.body], explain(apache, back)).toEqual([200, CONTENT]);
  });
});
