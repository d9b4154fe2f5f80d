import { describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD } from '../support/deps.ts';
import { Browser, givenOidcClient, pkcePair, useOidcServer, type OidcServer } from '../support/oidc.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import { widenFormAction } from '../../src/http/oidc/form-action.ts';

/** The directives of a CSP header, by name. */
function directives(csp: string | null): Map<string, string[]> {
  return new Map(
    (csp ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name!.toLowerCase(), values]),
  );
}

/**
 * response_mode=form_post and the logout pages under keyward's CSP (docs/oidc.md, "form_post and
 * the logout pages under the CSP"): form-action names the client's registered origin on exactly
 * those responses, the inline script is allowed by its hash, and nothing else changes.
 */
describe.each(engines())('form-action for form_post and logout on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  async function signedIn(instance: Instance) {
    const user = await givenUser(server.deps, instance);
    const browser = new Browser(server.origin);
    expect((await browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD })).json).toEqual({
      next: 'done',
    });
    return browser;
  }
  const client = (instance: Instance) =>
    givenOidcClient(server.deps, instance, {
      redirectUris: [`https://rp.example.test/${instance.slug}/cb`],
      postLogoutRedirectUris: [`https://rp-logout.example.test/${instance.slug}/bye`],
    });
  function authorizeUrl(instance: Instance, clientId: string, redirectUri: string, extra: Record<string, string> = {}) {
    const url = new URL(`${server.issuer(instance.slug)}/auth`);
    const params = {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: 'st',
      nonce: 'no',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...extra,
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.href;
  }

  it('lets a form_post response post to that client’s redirect origin and nowhere else; the script runs by its hash', async () => {
    const { instance } = await givenInstance(server.deps);
    const app = await client(instance);
    const browser = await signedIn(instance);
    const redirectUri = app.redirect_uris[0]!;
    const { response } = await browser.follow(
      authorizeUrl(instance, app.client_id, redirectUri, { response_mode: 'form_post' }),
      redirectUri,
    );
    expect(response?.status).toBe(200);
    const html = await response!.text();
    expect(html).toContain(`action="${redirectUri}"`);
    expect(html).toContain('name="code"');
    const csp = directives(response!.headers.get('content-security-policy'));
    expect(csp.get('form-action')).toEqual(["'self'", 'https://rp.example.test']);
    expect(csp.get('script-src')?.[0]).toBe("'self'");
    expect(csp.get('script-src')?.slice(1)).toEqual([expect.stringMatching(/^'sha256-[A-Za-z0-9+/]+=*'$/)]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('keeps form-action self on other pages: a query-mode answer, an error page, the login page', async () => {
    const { instance } = await givenInstance(server.deps);
    const app = await client(instance);
    const browser = await signedIn(instance);
    const redirectUri = app.redirect_uris[0]!;
    // The usual code flow answers with a redirect, whose CSP is untouched.
    const first = await browser.fetch(authorizeUrl(instance, app.client_id, redirectUri));
    expect(directives(first.headers.get('content-security-policy')).get('form-action')).toEqual(["'self'"]);
    await first.body?.cancel();
    // form_post to a URI the client never registered: the library's error page, no widening.
    const { response: error } = await browser.follow(
      authorizeUrl(instance, app.client_id, 'https://evil.example.test/cb', { response_mode: 'form_post' }),
      'https://evil.example.test/cb',
    );
    expect(error?.status).toBe(400);
    expect(directives(error!.headers.get('content-security-policy')).get('form-action')).toEqual(["'self'"]);
    await error!.body?.cancel();
    const login = await browser.fetch(`/i/${instance.slug}/login`);
    expect(directives(login.headers.get('content-security-policy')).get('form-action')).toEqual(["'self'"]);
    await login.body?.cancel();
  });

  it('lets the logout pages lead to the client’s registered post-logout origin only', async () => {
    const { instance } = await givenInstance(server.deps);
    const app = await client(instance);
    const browser = await signedIn(instance);
    const redirectUri = app.redirect_uris[0]!;
    // A provider session, from an authorization the keyward session answers.
    const { callback } = await browser.follow(authorizeUrl(instance, app.client_id, redirectUri), redirectUri);
    expect(callback?.searchParams.get('code')).toBeTruthy();
    const end = new URL(`${server.issuer(instance.slug)}/session/end`);
    end.searchParams.set('client_id', app.client_id);
    end.searchParams.set('post_logout_redirect_uri', `https://rp-logout.example.test/${instance.slug}/bye`);
    // With a provider session: keyward's confirmation page; without one: the library's self-submitting form.
    for (const who of [browser, new Browser(server.origin)]) {
      const page = await who.fetch(end);
      expect(page.status).toBe(200);
      expect(directives(page.headers.get('content-security-policy')).get('form-action')).toEqual([
        "'self'",
        'https://rp-logout.example.test',
      ]);
      await page.body?.cancel();
    }
    // Without a registered post-logout URI named, nothing is widened.
    const plain = await browser.fetch(`${server.issuer(instance.slug)}/session/end?client_id=${app.client_id}`);
    expect(directives(plain.headers.get('content-security-policy')).get('form-action')).toEqual(["'self'"]);
    await plain.body?.cancel();
  });

  it('adds one origin to form-action and changes no other directive', () => {
    const csp = "default-src 'self';script-src 'self' 'sha256-abc=';form-action 'self';frame-ancestors 'none'";
    expect(widenFormAction(csp, 'https://rp.example.test')).toBe(
      "default-src 'self';script-src 'self' 'sha256-abc=';form-action 'self' https://rp.example.test;frame-ancestors 'none'",
    );
  });
});
