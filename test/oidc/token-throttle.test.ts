import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { givenInstance } from '../support/deps.ts';
import { basicAuth, givenMachineClient, useOidcServer, type OidcServer } from '../support/oidc.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import { IP_POLICY, OIDC_CLIENT_POLICY } from '../../src/domain/throttle/throttle.ts';

/**
 * keyward's throttle at the token endpoint (docs/oidc.md, "Throttling the token endpoint"), on the
 * real server: failed client authentications per client id and per client address. The server
 * believes X-Forwarded-For from the loopback proxy, so each test has addresses of its own.
 */
describe.each(engines())('the throttle of the token endpoint on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s), { trustProxy: ['127.0.0.1'] });

  const address = () => `10.${randomInt(256)}.${randomInt(256)}.${1 + randomInt(254)}`;
  const machine = (instance: Instance) => givenMachineClient(server.deps, instance);
  async function token(instance: Instance, clientId: string, secret: string, from: string) {
    const response = await fetch(`${server.issuer(instance.slug)}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(clientId, secret),
        'x-forwarded-for': from,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'keyward:users:read' }).toString(),
    });
    const body = (await response.json()) as { error?: string; access_token?: string };
    return { status: response.status, error: body.error, retryAfter: response.headers.get('retry-after'), body };
  }

  it('refuses a client after repeated failed authentications, even with its secret, until the lock ends; another client is unaffected', async () => {
    const { instance } = await givenInstance(server.deps);
    const robot = await machine(instance);
    const other = await machine(instance);
    const from = address();
    for (let i = 0; i < OIDC_CLIENT_POLICY.lockFrom; i += 1) {
      expect((await token(instance, robot.client_id, 'wrong secret', from)).error).toBe('invalid_client');
    }
    const locked = await token(instance, robot.client_id, robot.client_secret!, from);
    expect(locked.status).toBe(401);
    expect(locked.error).toBe('invalid_client');
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    expect(locked.body.access_token).toBeUndefined();
    // From another address too: the key is the client's.
    expect((await token(instance, robot.client_id, robot.client_secret!, address())).error).toBe('invalid_client');
    // Another client, from the same address, is unaffected.
    expect((await token(instance, other.client_id, other.client_secret!, from)).status).toBe(200);

    server.deps.clock.advanceSeconds(OIDC_CLIENT_POLICY.baseLockSeconds + 1);
    const after = await token(instance, robot.client_id, robot.client_secret!, from);
    expect(after.status).toBe(200);
    expect(after.body.access_token).toBeTruthy();
    // A success starts the count over: one more failure does not lock it again.
    expect((await token(instance, robot.client_id, 'wrong secret', from)).error).toBe('invalid_client');
    expect((await token(instance, robot.client_id, robot.client_secret!, from)).status).toBe(200);
  });

  it('keeps one instance’s count to its own issuer: the same client id failing at another instance does not lock it', async () => {
    const a = await givenInstance(server.deps);
    const b = await givenInstance(server.deps);
    const robot = await machine(a.instance);
    const from = address();
    for (let i = 0; i < OIDC_CLIENT_POLICY.lockFrom; i += 1) {
      expect((await token(b.instance, robot.client_id, 'wrong secret', from)).error).toBe('invalid_client');
    }
    expect((await token(a.instance, robot.client_id, robot.client_secret!, address())).status).toBe(200);
  });

  it('answers 429 slow_down to an address that failed client authentication too often, for any client; other addresses pass', async () => {
    const { instance } = await givenInstance(server.deps);
    const robot = await machine(instance);
    const from = address();
    for (let i = 0; i < IP_POLICY.lockFrom; i += 1) {
      expect((await token(instance, `unknown-${i}`, 'guess', from)).error).toBe('invalid_client');
    }
    const refused = await token(instance, robot.client_id, robot.client_secret!, from);
    expect(refused.status).toBe(429);
    expect(refused.error).toBe('slow_down');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await token(instance, robot.client_id, robot.client_secret!, address())).status).toBe(200);
  });
});
