/**
 * Forward auth as a browser and a reverse proxy see it (SPEC §7), against the real listening
 * server of useOidcServer: the protected application's host is `localhost:PORT` (another host to
 * the browser than keyward's `127.0.0.1:PORT`, the same server), and the proxy's question is sent
 * from 127.0.0.1, which the server's TRUST_PROXY names.
 */
import { expect } from 'vitest';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { User } from '../../src/domain/account/user.ts';
import { givenUser, PASSWORD, type TestDeps } from './deps.ts';
import { oathtool } from './oathtool.ts';
import type { OidcServer } from './oidc.ts';
import { createProtectedApp, deleteProtectedApp } from '../../src/domain/forward-auth/manage-protected-apps.ts';
import type { AppRule, ProtectedApp } from '../../src/domain/forward-auth/protected-app.ts';

/**
 * A browser with a cookie jar per host (host-only cookies, as browsers keep them): keyward's
 * cookies never reach the application's host and the forward cookie never reaches keyward's.
 * A cookie with `Domain=D` is kept for D and sent to D and every host under it (RFC 6265 §5.1.3,
 * §5.3 step 6: refused from a host not under D). Hosts under a name given to `route` are reached
 * through keyward's listener as a proxy reaches it (X-Forwarded-Host and -Proto, from 127.0.0.1).
 */
export class HostBrowser {
  readonly jar = new Map<string, Map<string, string>>();
  /** Domain cookies by their Domain. */
  readonly domainJar = new Map<string, Map<string, string>>();
  /** Every Set-Cookie line received, in order, with the host it came from. */
  readonly received: Array<{ host: string; line: string }> = [];
  private readonly routes = new Map<string, string>();
  constructor(readonly keyward: string) {}

  /** Requests to `parent` and hosts under it go to `origin` (a proxy's view: X-Forwarded-Host). */
  route(parent: string, origin = this.keyward): this {
    this.routes.set(parent, origin);
    return this;
  }

  cookies(host: string): Map<string, string> {
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    return this.jar.get(host)!;
  }

  cookieHeader(host: string): string {
    const hostname = host.replace(/:[0-9]+$/, '');
    const all = new Map(this.cookies(host));
    for (const [domain, cookies] of this.domainJar) {
      if (domainMatches(hostname, domain)) for (const [name, value] of cookies) if (!all.has(name)) all.set(name, value);
    }
    return [...all].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, this.keyward);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target.host);
    if (cookie) headers.set('cookie', cookie);
    if (init.method && init.method !== 'GET') headers.set('origin', target.origin);
    const via = [...this.routes].find(([parent]) => domainMatches(target.hostname, parent))?.[1];
    let connect = target;
    if (via) {
      connect = new URL(`${target.pathname}${target.search}`, via);
      headers.set('x-forwarded-host', target.host);
      headers.set('x-forwarded-proto', target.protocol.slice(0, -1));
    }
    const response = await fetch(connect, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      this.received.push({ host: target.host, line });
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, at), pair!.slice(at + 1)];
      const expired = attributes.some(
        (a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && new Date(a.slice(8)).getTime() <= Date.now()),
      );
      const domainAttribute = attributes.find((a) => /^domain=/i.test(a));
      const domain = domainAttribute?.slice(7).replace(/^\./, '').toLowerCase();
      if (domain !== undefined && !domainMatches(target.hostname, domain)) continue; // a browser ignores it
      if (domain !== undefined && !this.domainJar.has(domain)) this.domainJar.set(domain, new Map());
      const jar = domain === undefined ? this.cookies(target.host) : this.domainJar.get(domain)!;
      if (expired || !value) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  async api(path: string, body?: unknown, method = 'POST'): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await this.fetch(`/api/v1${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Follows redirects until `stop(url)` (returned, not fetched), keyward's login page, or an answer that is no redirect. */
  async follow(url: string | URL, stop: (url: URL) => boolean): Promise<{ stopped?: URL; login?: URL; response?: Response }> {
    let next = new URL(url, this.keyward);
    for (let hops = 0; hops < 12; hops += 1) {
      if (stop(next)) return { stopped: next };
      if (next.origin === this.keyward && /^\/i\/[^/]+\/login$/.test(next.pathname)) return { login: next };
      const response = await this.fetch(next);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response };
      await response.body?.cancel();
      next = new URL(location, next);
    }
    throw new Error(`too many redirects from ${String(url)}`);
  }
}

/** RFC 6265 §5.1.3: the host is the domain or under it. */
const domainMatches = (hostname: string, domain: string) => hostname === domain || hostname.endsWith(`.${domain}`);

/** The protected application's origin for the server: another host name for the same listener. */
export const appOriginOf = (server: OidcServer) => server.origin.replace('127.0.0.1', 'localhost');

/** A protected application of `instance` on the server's `localhost:PORT` host, made as the admin API makes it. */
export async function givenProtectedApp(
  server: OidcServer,
  instance: Instance,
  rules: AppRule[] = [],
  host?: string,
): Promise<ProtectedApp> {
  const changer = (instanceId: string) => ({
    instanceId,
    actor: { type: 'cli' as const, id: null, label: 'CLI: test' },
    client: { ip: null, userAgent: null },
  });
  const name = host ?? new URL(appOriginOf(server)).host;
  // One listener, one host: an earlier test's application on it gives the host up first.
  const earlier = await server.deps.stores.forwardAuth.findApp(name);
  if (earlier) await deleteProtectedApp(server.deps, changer(earlier.instanceId), earlier.id);
  return createProtectedApp(server.deps, changer(instance.id), { name: 'Dashboard', hosts: [name], rules });
}

/**
 * A user (new member unless `existing`) with an authenticator app, set up through the JSON API in
 * `browser`, which then knows the location (its next password login skips the code).
 */
export async function withApp(deps: TestDeps, instance: Instance, browser: HostBrowser, existing?: User) {
  const user = existing ?? (await givenUser(deps, instance));
  expect((await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json.next).toBe('done');
  await browser.api('/me/two-factor', { enabled: true }, 'PUT');
  const secret = (await browser.api('/auth/setup', { currentPassword: PASSWORD })).json.secret as string;
  const code = () => {
    const value = oathtool(secret, deps.clock.now());
    deps.clock.advanceSeconds(30);
    return value;
  };
  expect((await browser.api('/auth/setup/confirm', { code: code() })).json.next).toBe('done');
  return { user, code };
}

/** The proxy's question about `url` with the browser's cookies for that host, from 127.0.0.1 (trusted). */
export async function askProxy(
  server: OidcServer,
  browser: HostBrowser,
  url: string,
  flavour: 'auth-request' | 'forward-auth' = 'auth-request',
) {
  const target = new URL(url);
  return fetch(`${server.origin}/api/v1/authz/${flavour}`, {
    redirect: 'manual',
    headers: { 'x-original-url': url, ...(browser.cookieHeader(target.host) ? { cookie: browser.cookieHeader(target.host) } : {}) },
  });
}

export const IDENTITY = ['remote-user', 'remote-email', 'remote-name', 'remote-groups', 'remote-instance', 'remote-amr', 'remote-jwt'];

/** The identity headers of an answer, each present (null would mean missing). */
export function identityOf(response: Response): Record<string, string | null> {
  return Object.fromEntries(IDENTITY.map((name) => [name, response.headers.get(name)]));
}
