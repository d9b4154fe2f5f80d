import { describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { givenInstance } from '../support/deps.ts';
import { givenOidcClient, useOidcServer, type OidcServer } from '../support/oidc.ts';

const formAction = (response: Response) =>
  response.headers
    .get('content-security-policy')!
    .split(';')
    .map((directive) => directive.trim())
    .find((directive) => directive.startsWith('form-action'));

// RP-initiated logout's pages post to end_session/confirm, which redirects to the client's
// post-logout URI; a browser checks that redirect against the page's form-action (CSP 3 §6.4.1).
// The page allows the origin of a registered post-logout URI, and only that.
describe.each(engines())('The logout page’s form-action on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  it('adds the origin of a registered post-logout redirect URI; an unregistered one is refused and adds nothing', async () => {
    const { instance } = await givenInstance(server.deps);
    const client = await givenOidcClient(server.deps, instance, {
      redirectUris: ['https://app.example.test/callback'],
      postLogoutRedirectUris: ['https://app.example.test:8443/signed-out'],
    });
    const endSession = (params: Record<string, string>) =>
      fetch(`${server.issuer(instance.slug)}/session/end?${new URLSearchParams({ client_id: client.client_id, ...params }).toString()}`);

    const registered = await endSession({ post_logout_redirect_uri: 'https://app.example.test:8443/signed-out' });
    expect(registered.status).toBe(200);
    expect(formAction(registered)).toBe("form-action 'self' https://app.example.test:8443");

    const unregistered = await endSession({ post_logout_redirect_uri: 'https://evil.example.test/signed-out' });
    expect(unregistered.status).toBe(400);
    expect(await unregistered.text()).toContain('invalid_request');
    expect(formAction(unregistered)).toBe("form-action 'self'");

    expect(formAction(await endSession({}))).toBe("form-action 'self'");
  });
});
