import { describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp, useTestApp } from '../support/app.ts';
import { createPasswordHasher } from '../../src/crypto/password.ts';
import { clientAddressKey, IP_POLICY } from '../../src/domain/throttle/throttle.ts';

const hex = () => randomInt(0x10000).toString(16);

// Issue 10 item 21: the per-address key was the full IPv6 address, so a client rotating through
// its own /64 (2^64 addresses, RFC 6177) was never limited. The key is now the /64.
describe('the client-address key', () => {
  it('is the /64 for IPv6, the address for IPv4, and the IPv4 address for an IPv4-mapped one', () => {
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0DB8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});

describe.each(engines())('guesses from many addresses of one IPv6 /64 on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  it('count on one address key', async () => {
    void app;
    const { instance } = await givenInstance(deps);
    const hasher = await createPasswordHasher(2, { queueLength: 500, perClient: 500 });
    const limitedApp = await testApp({ ...deps, hasher });
    const prefix = `2001:db8:${hex()}:${hex()}`;
    const answers = await Promise.all(
      Array.from({ length: IP_POLICY.lockFrom + 5 }, (_, i) =>
        new Client(limitedApp).request({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: `${prefix}:${hex()}:${hex()}:${hex()}:${i.toString(16)}`,
          payload: { instance: instance.slug, email: `v6-${i}@${instance.slug}.test`, password: 'Summer2026!!' },
        }),
      ),
    );
    expect(answers.filter((r) => errorCode(r) === 'invalid_credentials')).toHaveLength(IP_POLICY.lockFrom);
    expect(answers.filter((r) => errorCode(r) === 'rate_limited')).toHaveLength(5);
    await limitedApp.close();
  });
});
