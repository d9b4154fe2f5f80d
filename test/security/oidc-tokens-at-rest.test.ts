import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { engines } from '../support/db.ts';
import { givenInstance } from '../support/deps.ts';
import { basicAuth, Browser, givenMachineClient, machineTokenOf, useOidcServer, type OidcServer } from '../support/oidc.ts';
import { relyingParties } from '../support/relying-party.ts';
import { up as rekeyTokenIds } from '../../src/storage/migrations/0025-oidc-hashed-token-ids.ts';
import { sha256Hex } from '../../src/crypto/hash.ts';

// Threat: a read of the database (a backup, a replica, an SQL injection elsewhere) hands out the
// provider's bearer credentials. Codes, access, refresh and client_credentials tokens are opaque
// random ids the library looks up by id; keyward stores only their SHA-256, as it does its own
// session tokens and links (OWASP ASVS 5.0 V7.2.1 / V10.4: reference tokens are not stored in
// the clear; Ory Hydra stores token signatures, not tokens). Each token still works.
describe.each(engines())('OpenID Connect tokens at rest on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));
  const { authorize, userWithApp, toLoginPage, passwordLogin, resume } = relyingParties(() => server);

  /** Every row of the instance's provider state as one text: ids, references and payloads. */
  async function storedText(instanceId: string): Promise<string> {
    const rows = await server.database.db
      .selectFrom('oidc_state')
      .select(['model', 'id', 'grant_id', 'uid', sql<string>`payload::text`.as('payload')])
      .where('instance_id', '=', instanceId)
      .execute();
    expect(rows.length).toBeGreaterThan(0);
    return JSON.stringify(rows);
  }

  it('stores no code, access or refresh token in the clear, and each still works', async () => {
    const { instance } = await givenInstance(server.deps);
    const { user, code } = await userWithApp(instance);
    const browser = new Browser(server.origin);
    const request = await authorize(instance, { scope: 'openid email offline_access', prompt: 'consent' });
    const { uid } = await toLoginPage(browser, instance, request.url, request.redirectUri);
    await passwordLogin(browser, instance, user);
    expect((await browser.api('/auth/verify', { code: code() })).json).toEqual({ next: 'done' });
    const back = await resume(browser, instance, uid, request.redirectUri);
    const authorizationCode = back.callback!.searchParams.get('code')!;
    expect(authorizationCode).toBeTruthy();
    const { tokens, config } = await request.finish(back.callback!);
    expect(tokens.refresh_token).toBeTruthy();

    let stored = await storedText(instance.id);
    for (const secret of [authorizationCode, tokens.access_token, tokens.refresh_token!]) expect(stored).not.toContain(secret);

    // The hashed rows are found by the token's own value: userinfo, refresh (which rotates), and
    // the code is still used once.
    expect((await oidc.fetchUserInfo(config, tokens.access_token, user.id)).sub).toBe(user.id);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    stored = await storedText(instance.id);
    for (const secret of [refreshed.access_token, refreshed.refresh_token!]) expect(stored).not.toContain(secret);
  });

  /** A machine client of a new instance and a client_credentials token of it. */
  async function machineToken() {
    const { instance } = await givenInstance(server.deps);
    const client = await givenMachineClient(server.deps, instance);
    const token = await machineTokenOf(server.app, instance, client);
    return { instance, client, token };
  }
  const adminUsers = (token: string) =>
    fetch(`${server.origin}/api/v1/admin/users`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

  it('stores no client_credentials token in the clear, and the admin API still takes it', async () => {
    const { instance, client, token } = await machineToken();
    expect(await storedText(instance.id)).not.toContain(token);
    expect(await adminUsers(token)).toBe(200);
    const introspection = await fetch(`${server.issuer(instance.slug)}/token/introspection`, {
      method: 'POST',
      headers: { authorization: basicAuth(client.client_id, client.client_secret!), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(await introspection.json()).toMatchObject({ active: true, client_id: client.client_id });
  });

  it('re-keys a token stored in the clear before migration 0025, which keeps working', async () => {
    const { instance, token } = await machineToken();
    // The row as keyward stored it before: keyed by the token, the token in the payload.
    const rewound = await server.database.db
      .updateTable('oidc_state')
      .set({ id: token, payload: sql`payload || jsonb_build_object('jti', ${token}::text)` })
      .where('instance_id', '=', instance.id)
      .where('id', '=', sha256Hex(token))
      .executeTakeFirst();
    expect(rewound.numUpdatedRows).toBe(1n);
    expect(await storedText(instance.id)).toContain(token);
    expect(await adminUsers(token)).toBe(401);

    await rekeyTokenIds(server.database.db as Kysely<unknown>);
    expect(await storedText(instance.id)).not.toContain(token);
    expect(await adminUsers(token)).toBe(200);
  });
});
