/**
 * The app over real deps listening on a real loopback port (what openid-client, a relying party
 * nobody here wrote, talks to), with PUBLIC_URL at that port so issuers match what is fetched.
 */
import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { testApp } from './app.ts';
import type { AppOptions } from '../../src/http/app.ts';
import { givenUser, PASSWORD, useTestDeps, type TestDeps } from './deps.ts';
import { oathtool } from './oathtool.ts';
import type { User } from '../../src/domain/account/user.ts';
import type { EngineName } from './db.ts';
import { freePort } from './server-process.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { Deps } from '../../src/domain/shared/deps.ts';
import type { MachineScope, OidcClientInput } from '../../src/domain/oidc/oidc-client.ts';
import { createOidcClient } from '../../src/domain/oidc/manage-oidc-clients.ts';
import * as oidc from 'openid-client';

export interface OidcServer {
  database: DatabaseHandle;
  deps: TestDeps;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  origin: string;
  issuer(slug: string): string;
}

/** A client as a relying party knows it: its id, its secret (null when public) and redirect URIs. */
export interface TestOidcClient {
  client_id: string;
  client_secret: string | null;
  redirect_uris: string[];
}

const testChanger = (instance: Instance) => ({
  instanceId: instance.id,
  actor: { type: 'cli' as const, id: null, label: 'CLI: test' },
  client: { ip: null, userAgent: null },
});

/**
 * A client of `instance` registered as an administrator would (the use-case behind the admin API
 * and the CLI): confidential with one redirect URI unless `input` says otherwise.
 */
export async function givenOidcClient(deps: Deps, instance: Instance, input: Partial<OidcClientInput> = {}): Promise<TestOidcClient> {
  const { client, clientSecret } = await createOidcClient(deps, testChanger(instance), {
    name: 'Test app',
    redirectUris: [`https://app.example.test/${instance.slug}/callback`],
    ...input,
  });
  return { client_id: client.clientId, client_secret: clientSecret, redirect_uris: client.redirectUris };
}

/** A machine client of `instance`: client_credentials only, with `scopes`, no redirect URI. */
export function givenMachineClient(
  deps: Deps,
  instance: Instance,
  scopes: MachineScope[] = ['keyward:users:read'],
): Promise<TestOidcClient> {
  return givenOidcClient(deps, instance, { name: 'Robot', grantTypes: ['client_credentials'], scopes, redirectUris: [] });
}

/** A client_credentials access token of `client` from the instance's token endpoint, through `app.inject`. */
export async function machineTokenOf(
  app: FastifyInstance,
  instance: Instance,
  client: TestOidcClient,
  scope = 'keyward:users:read',
): Promise<string> {
  const issued = await app.inject({
    method: 'POST',
    url: `/i/${instance.slug}/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.client_id, client.client_secret!) },
    payload: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  if (issued.statusCode !== 200) throw new Error(`token endpoint: ${issued.statusCode} ${issued.body}`);
  return issued.json<{ access_token: string }>().access_token;
}

/** openid-client's discovery of the instance's issuer as `client` (client_secret_basic; http on loopback). */
export function discoverClient(server: OidcServer, instance: Instance, client: TestOidcClient): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.issuer(instance.slug)), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** `options`: more of the app's options (a test of the client address sets `trustProxy`). */
export function useOidcServer(engine: EngineName, assign: (server: OidcServer) => void, options: Partial<AppOptions> = {}): void {
  let base: { database: DatabaseHandle; deps: TestDeps } | null = null;
  let app: FastifyInstance | null = null;
  useTestDeps(engine, (context) => (base = context));
  beforeAll(async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    app = await testApp(base!.deps, { ...options, publicUrl: new URL(`${origin}/`) });
    await app.listen({ port, host: '127.0.0.1' });
    assign({ ...base!, app, origin, issuer: (slug) => `${origin}/i/${slug}` });
  });
  afterAll(async () => {
    await app?.close();
  });
}

/** An RFC 7636 verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

interface StoredCookie {
  value: string;
  path: string;
}

/**
 * A browser for the real server: fetch with a cookie jar that honours each cookie's Path (the
 * provider's cookies live under /i/{slug}, keyward's at /), redirects followed by hand.
 */
export class Browser {
  private readonly jar = new Map<string, StoredCookie>();
  constructor(readonly origin: string) {}

  cookieHeader(url: URL): string {
    return [...this.jar]
      .filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  has(name: string): boolean {
    return this.jar.has(name);
  }

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, this.origin);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    if (init.method && init.method !== 'GET') headers.set('origin', this.origin);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      const attr = new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=').slice(1).join('=')]));
      const expired =
        attr.get('max-age') === '0' || (attr.has('expires') && new Date(attr.get('expires')!).getTime() <= Date.now()) || !value;
      if (expired) this.jar.delete(name);
      else this.jar.set(name, { value, path: attr.get('path') ?? '/' });
    }
    return response;
  }

  async api(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await this.fetch(`/api/v1${path}`, {
      method: 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /**
   * Follows redirects from `url` until the relying party's `redirectUri` (returned, not fetched),
   * keyward's login page of an instance (returned, not fetched: tests drive the JSON API), or a
   * page that is no redirect.
   */
  async follow(url: string, redirectUri: string): Promise<{ callback?: URL; login?: URL; response?: Response }> {
    let next = new URL(url, this.origin);
    for (let hops = 0; hops < 10; hops += 1) {
      if (next.href.startsWith(redirectUri)) return { callback: next };
      if (/^\/i\/[^/]+\/login$/.test(next.pathname)) return { login: next };
      const response = await this.fetch(next);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response };
      await response.body?.cancel();
      next = new URL(location, next);
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

/**
 * A user (a new member unless `existing`) with an authenticator app set up through the JSON API,
 * as the SPA does it, in `browser` (a new one at `origin` unless given), which then knows the
 * location. `code()` is the app's code at the test clock, which then moves a step on (each step
 * counts once); the confirming code has moved it already.
 */
export async function givenUserWithApp(
  origin: string,
  deps: TestDeps,
  instance: Instance,
  options: { existing?: User; browser?: Browser } = {},
): Promise<{ user: User; secret: string; browser: Browser; code: () => string }> {
  const user = options.existing ?? (await givenUser(deps, instance));
  const browser = options.browser ?? new Browser(origin);
  const login = await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD });
  if (login.json.next !== 'done') throw new Error(`login of ${user.email}: ${JSON.stringify(login.json)}`);
  await browser.fetch('/api/v1/me/two-factor', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: true }),
  });
  const secret = (await browser.api('/auth/setup', { currentPassword: PASSWORD })).json.secret as string;
  const code = () => {
    const value = oathtool(secret, deps.clock.now());
    deps.clock.advanceSeconds(30);
    return value;
  };
  const confirmed = await browser.api('/auth/setup/confirm', { code: code() });
  if (confirmed.json.next !== 'done') throw new Error(`set-up of ${user.email}: ${JSON.stringify(confirmed.json)}`);
  return { user, secret, browser, code };
}
