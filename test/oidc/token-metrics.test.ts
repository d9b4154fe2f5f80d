/**
 * keyward_oidc_tokens_issued_total{grant} (docs/operations.md, metrics): tokens issued through the
 * real token endpoint, redeemed and refreshed by openid-client, counted by grant type and without
 * an instance label.
 */
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { engines } from '../support/db.ts';
import { givenInstance } from '../support/deps.ts';
import { givenMachineClient, useOidcServer, basicAuth, type OidcServer } from '../support/oidc.ts';
import { relyingParties } from '../support/relying-party.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import type { Operations } from '../../src/http/plugins/operations.ts';

const NAME = 'keyward_oidc_tokens_issued_total';

describe.each(engines())('the tokens-issued metric on %s', (engine) => {
  let server: OidcServer;
  // Its own registry: the counts are this file's app's only.
  const operations: Operations = { ready: async () => true, metrics: createMetrics(), state: { draining: false } };
  useOidcServer(engine, (s) => (server = s), { operations });
  const { signedIn } = relyingParties(() => server);

  /** Every series of the metric as `{labels: value}`, scraped through the real /metrics. */
  async function issued(): Promise<Record<string, number>> {
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    const lines = text.split('\n').filter((line) => line.startsWith(`${NAME}{`));
    return Object.fromEntries(lines.map((line) => [line.slice(NAME.length, line.lastIndexOf(' ')), Number(line.split(' ').pop())]));
  }

  it('counts an authorization-code redemption and a refresh, one each, by grant and without an instance', async () => {
    const { instance } = await givenInstance(server.deps);
    const before = await issued();
    // Every grant keyward offers is there from the start, at its count.
    expect(Object.keys(before).sort()).toEqual(['{grant="authorization_code"}', '{grant="client_credentials"}', '{grant="refresh_token"}']);

    // OIDC Core §11: offline_access with prompt=consent asks for a refresh token.
    const { tokens, config } = await signedIn(instance, { scope: 'openid offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    // A refused refresh (the rotated-away token, RFC 9700 §4.14.2) issues nothing and counts nothing.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const after = await issued();
    expect(after['{grant="authorization_code"}']! - before['{grant="authorization_code"}']!).toBe(1);
    expect(after['{grant="refresh_token"}']! - before['{grant="refresh_token"}']!).toBe(1);
    expect(after['{grant="client_credentials"}']).toBe(before['{grant="client_credentials"}']);
    expect(Object.keys(after).join()).not.toContain(instance.slug);
  });

  it('counts a client_credentials token, and not a request refused for a wrong secret', async () => {
    const { instance } = await givenInstance(server.deps);
    const machine = await givenMachineClient(server.deps, instance);
    const before = await issued();
    const token = (secret: string) =>
      fetch(`${server.issuer(instance.slug)}/token`, {
        method: 'POST',
        headers: { authorization: basicAuth(machine.client_id, secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'keyward:users:read' }),
      });
    const ok = await token(machine.client_secret!);
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    const refused = await token(`${machine.client_secret!}x`);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const after = await issued();
    expect(after['{grant="client_credentials"}']! - before['{grant="client_credentials"}']!).toBe(1);
  });
});
