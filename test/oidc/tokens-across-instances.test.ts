import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { engines } from '../support/db.ts';
import { givenInstance } from '../support/deps.ts';
import { basicAuth, useOidcServer, type OidcServer } from '../support/oidc.ts';
import { relyingParties } from '../support/relying-party.ts';

// Issue 12: "cross-instance confusion impossible (issuer, keys, cookies, adapter rows, client ids)"
// and "a token of one instance refused by another". A user of instance A signs in through A's
// client; every token A issued is then presented at B with B's own registered client, which is
// what a confused or malicious relying party of B could do (RFC 9700 §4.4, mix-up; RFC 7662 §4).
describe.each(engines())('tokens of one instance at another on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));
  const { relyingParty, signedIn } = relyingParties(() => server);

  /** POSTs a form to an endpoint of `slug` with a client's Basic credentials. */
  async function post(
    slug: string,
    endpoint: string,
    client: { client_id: string; client_secret: string | null },
    form: Record<string, string>,
  ) {
    const response = await fetch(`${server.issuer(slug)}/${endpoint}`, {
      method: 'POST',
      headers: { authorization: basicAuth(client.client_id, client.client_secret!), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('introspects its own access token as active, naming its issuer, client and user', async () => {
    const { instance: a } = await givenInstance(server.deps);
    const { user, tokens, client } = await signedIn(a);
    const introspected = await post(a.slug, 'token/introspection', client, { token: tokens.access_token });
    expect(introspected.status).toBe(200);
    expect(introspected.json).toMatchObject({ active: true, iss: server.issuer(a.slug), client_id: client.client_id, sub: user.id });
  });

  it('refuses A’s access token at B’s userinfo and introspects it as inactive there', async () => {
    const { instance: a } = await givenInstance(server.deps);
    const { instance: b } = await givenInstance(server.deps);
    const { tokens } = await signedIn(a);
    const bParty = await relyingParty(b);

    const userinfo = await fetch(`${server.issuer(b.slug)}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    await userinfo.body?.cancel();

    const introspected = await post(b.slug, 'token/introspection', bParty.client, { token: tokens.access_token });
    expect(introspected).toEqual({ status: 200, json: { active: false } });
    // And at A, where it was issued, it still is active: B's refusal is not a revocation.
    expect((await oidc.fetchUserInfo((await relyingParty(a)).config, tokens.access_token, oidc.skipSubjectCheck)).sub).toBeTruthy();
  });

  it('refuses A’s ID token by B’s keys and issuer, and A’s code-flow client at B’s token endpoint', async () => {
    const { instance: a } = await givenInstance(server.deps);
    const { instance: b } = await givenInstance(server.deps);
    const { tokens, client } = await signedIn(a);
    const idToken = tokens.id_token!;
    // Verified by A's JWKS and issuer it passes; by B's it does not (no key of B signed it).
    await expect(
      jwtVerify(idToken, createRemoteJWKSet(new URL(`${server.issuer(a.slug)}/jwks`)), { issuer: server.issuer(a.slug) }),
    ).resolves.toBeTruthy();
    await expect(jwtVerify(idToken, createRemoteJWKSet(new URL(`${server.issuer(b.slug)}/jwks`)))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    // A's client and its secret authenticate nowhere but at A.
    const atB = await post(b.slug, 'token', client, { grant_type: 'client_credentials' });
    expect(atB).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
  });

  it('refuses A’s refresh token at B’s token endpoint, and keeps it working at A', async () => {
    const { instance: a } = await givenInstance(server.deps);
    const { instance: b } = await givenInstance(server.deps);
    // OIDC Core §11: offline_access with prompt=consent asks for a refresh token.
    const { tokens, client } = await signedIn(a, { scope: 'openid offline_access', prompt: 'consent' });
    expect(tokens.refresh_token, 'a refresh token was issued').toBeTruthy();
    const bParty = await relyingParty(b);
    const atB = await post(b.slug, 'token', bParty.client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(atB).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    const atA = await post(a.slug, 'token', client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(atA.status, JSON.stringify(atA.json)).toBe(200);
    expect(atA.json).toMatchObject({ token_type: 'Bearer', id_token: expect.any(String) });
  });
});
