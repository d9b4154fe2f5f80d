import { describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD } from '../support/deps.ts';
import { useOidcServer, type OidcServer } from '../support/oidc.ts';
import { askProxy, HostBrowser, withApp } from '../support/forward-auth.ts';
import { createProtectedApp } from '../../src/domain/forward-auth/manage-protected-apps.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

/**
 * The parent-domain cookie (docs/forward-auth.md, "Parent-domain cookie (opt-in)"): one sign-in
 * on one app with a cookie domain opens every app of the same instance with the same domain, and
 * nothing else. The browser reaches the apps' hosts through keyward's listener as a proxy does.
 */
describe.each(engines())('Forward auth with a parent-domain cookie on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s), { trustProxy: ['127.0.0.1'] });

  const changer = (instance: Instance) => ({
    instanceId: instance.id,
    actor: { type: 'cli' as const, id: null, label: 'CLI: test' },
    client: { ip: null, userAgent: null },
  });
  const app = (instance: Instance, name: string, host: string, cookieDomain: string | null = null) =>
    createProtectedApp(server.deps, changer(instance), { name, hosts: [host], cookieDomain });
  /** A parent domain of this test's own. */
  const parentDomain = () => `p${Math.random().toString(36).slice(2, 10)}.example.test`;

  /** Signs a new user of `instance` in on `rd`'s app with password and code; the browser then holds its cookie. */
  async function signIn(instance: Instance, rd: string, parents: string[]) {
    const setup = new HostBrowser(server.origin);
    const { user, code } = await withApp(server.deps, instance, setup);
    const browser = new HostBrowser(server.origin);
    for (const parent of parents) browser.route(parent);
    const at = await browser.follow(`${new URL(rd).origin}/.keyward/start?rd=${encodeURIComponent(rd)}`, () => false);
    expect(at.login?.pathname).toBe(`/i/${instance.slug}/login`);
    const uid = at.login!.searchParams.get('interaction')!;
    expect((await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json.next).toBe('verify');
    expect((await browser.api('/auth/verify', { code: code() })).json.next).toBe('done');
    const back = await browser.follow(`/i/${instance.slug}/interaction/${uid}`, (url) => url.href === rd);
    expect(back.stopped?.href).toBe(rd);
    return { user, browser };
  }
  /** The proxy's question with exactly this cookie header. */
  const askWith = (url: string, cookie: string) =>
    fetch(`${server.origin}/api/v1/authz/auth-request`, { redirect: 'manual', headers: { 'x-original-url': url, cookie } });

  it('sets a Domain cookie (no __Host-, HttpOnly, SameSite=Lax) that opens every app of the instance with that domain, and only those', async () => {
    const { instance } = await givenInstance(server.deps);
    const { instance: other } = await givenInstance(server.deps);
    const parent = parentDomain();
    const elsewhere = parentDomain();
    await app(instance, 'Grafana', `grafana.${parent}`, parent);
    await app(instance, 'Wiki', `wiki.${parent}`, parent);
    await app(instance, 'Host-only', `plain.${parent}`);
    await app(other, 'Other instance', `other.${parent}`, parent);
    await app(instance, 'Other domain', `docs.${elsewhere}`, elsewhere);

    const { browser } = await signIn(instance, `http://grafana.${parent}/d/1`, [parent, elsewhere]);
    const set = browser.received.filter((r) => r.line.startsWith('keyward_fa_d='));
    expect(set).toHaveLength(1);
    expect(set[0]!.host).toBe(`grafana.${parent}`);
    const attributes = set[0]!.line.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining([`domain=${parent}`, 'path=/', 'httponly', 'samesite=lax']));
    expect(attributes).not.toContain('secure'); // http here; https sets Secure and __Secure- (the query-budget test asks with it)
    // The cookie is the domain's, not the host's: no host-only forward cookie anywhere.
    expect(browser.received.some((r) => /^(__Host-)?keyward_fa=/.test(r.line))).toBe(false);
    const token = browser.domainJar.get(parent)!.get('keyward_fa_d')!;

    // App A and app B (same instance, same domain): in, B without a sign-in of its own.
    expect((await askProxy(server, browser, `http://grafana.${parent}/d/1`)).status).toBe(200);
    const wiki = await askProxy(server, browser, `http://wiki.${parent}/page`);
    expect(wiki.status).toBe(200);
    expect(wiki.headers.get('remote-instance')).toBe(instance.slug);
    // The browser sends the cookie to the host-only app and to the other instance's app under the
    // same domain too; neither takes it.
    expect(browser.cookieHeader(`plain.${parent}`)).toContain('keyward_fa_d=');
    expect((await askProxy(server, browser, `http://plain.${parent}/`)).status).toBe(401);
    expect((await askProxy(server, browser, `http://other.${parent}/`)).status).toBe(401);
    // Replayed by hand: not at another domain's app, not as a host cookie at the host-only app or at A.
    expect((await askWith(`http://docs.${elsewhere}/`, `keyward_fa_d=${token}`)).status).toBe(401);
    expect((await askWith(`http://plain.${parent}/`, `keyward_fa=${token}`)).status).toBe(401);
    expect((await askWith(`http://grafana.${parent}/`, `keyward_fa=${token}`)).status).toBe(401);
    // The same value in the domain cookie still opens B: the refusals above are the apps', not the token's.
    expect((await askWith(`http://wiki.${parent}/`, `keyward_fa_d=${token}`)).status).toBe(200);
  });

  it('a host-only session does not open a domain app of the same instance, on the same host parent', async () => {
    const { instance } = await givenInstance(server.deps);
    const parent = parentDomain();
    await app(instance, 'Host-only', `plain.${parent}`);
    await app(instance, 'Wiki', `wiki.${parent}`, parent);
    const { browser } = await signIn(instance, `http://plain.${parent}/`, [parent]);
    const token = browser.cookies(`plain.${parent}`).get('keyward_fa')!;
    expect(token).toBeTruthy();
    expect(browser.domainJar.size).toBe(0);
    expect((await askProxy(server, browser, `http://plain.${parent}/`)).status).toBe(200);
    expect((await askWith(`http://wiki.${parent}/`, `keyward_fa_d=${token}`)).status).toBe(401);
    expect((await askWith(`http://wiki.${parent}/`, `keyward_fa=${token}`)).status).toBe(401);
  });

  it('a logout on one app of the domain clears the domain cookie and ends access on all of them', async () => {
    const { instance } = await givenInstance(server.deps);
    const parent = parentDomain();
    await app(instance, 'Grafana', `grafana.${parent}`, parent);
    await app(instance, 'Wiki', `wiki.${parent}`, parent);
    const { browser } = await signIn(instance, `http://grafana.${parent}/`, [parent]);
    const token = browser.domainJar.get(parent)!.get('keyward_fa_d')!;
    expect((await askProxy(server, browser, `http://wiki.${parent}/`)).status).toBe(200);

    const out = await browser.fetch(`http://wiki.${parent}/.keyward/logout`);
    expect(out.status).toBe(302);
    const cleared = browser.received.filter((r) => r.host === `wiki.${parent}` && r.line.startsWith('keyward_fa_d='));
    expect(cleared).toHaveLength(1);
    expect(cleared[0]!.line.toLowerCase()).toContain(`domain=${parent}`);
    expect(browser.domainJar.get(parent)!.has('keyward_fa_d')).toBe(false);
    // Ended in storage, not only in this browser: the old value opens neither app.
    expect((await askWith(`http://grafana.${parent}/`, `keyward_fa_d=${token}`)).status).toBe(401);
    expect((await askWith(`http://wiki.${parent}/`, `keyward_fa_d=${token}`)).status).toBe(401);
  });
});
