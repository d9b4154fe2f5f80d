/**
 * Issue 10 item 9: one reset or invitation link bought unlimited argon2id work. `password_reused`
 * hashed against the history, refusals counted nothing and kept the link. Now each link and each
 * client address are throttled, refusals count, and a locked link or address is answered 429
 * before any hashing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';

const tokenIn = (text: string) => /#token=([A-Za-z0-9_-]+)/.exec(text)![1]!;

describe.each(engines())('argon2id work bought with one password link on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));
  afterEach(() => vi.restoreAllMocks());

  /** Counts the hasher's argon2id calls (hash and verify) from now on. */
  function countHashing() {
    const hash = vi.spyOn(deps.hasher, 'hash');
    const verify = vi.spyOn(deps.hasher, 'verify');
    return () => hash.mock.calls.length + verify.mock.calls.length;
  }

  async function resetLink(email?: string) {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance, email);
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: user.email });
    const mail = (await deliveredTo(deps, user.email)).find((m) => m.subject.startsWith('Reset'))!;
    return { instance, user, token: tokenIn(mail.text) };
  }

  it('answers 429 without hashing after repeated refusals with one reset link, and leaves other links alone', async () => {
    const { instance, user, token } = await resetLink();
    const client = new Client(app);
    for (let i = 0; i < 4; i += 1) {
      expect(errorCode(await client.post('/api/v1/auth/reset', { token, password: PASSWORD }))).toBe('password_reused');
    }
    expect(errorCode(await client.post('/api/v1/auth/reset', { token, password: 'short' }))).toBe('weak_password');
    const hashed = countHashing();
    const locked = await client.post('/api/v1/auth/reset', { token, password: 'a good new password here' });
    expect(locked.statusCode).toBe(429);
    expect(errorCode(locked)).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(hashed()).toBe(0);
    // Nothing changed, and the lock is the link's: another user's link from this address still works.
    expect((await new Client(app).login(instance.slug, user.email, PASSWORD)).json()).toEqual({ next: 'done' });
    const other = await resetLink();
    expect((await client.post('/api/v1/auth/reset', { token: other.token, password: 'a good new password here' })).statusCode).toBe(204);
    // After the wait the owner may try again.
    deps.clock.advanceSeconds(61);
    expect((await client.post('/api/v1/auth/reset', { token, password: 'a good new password here' })).statusCode).toBe(204);
  });

  it('throttles an invitation link the same way', async () => {
    const { instance, admin } = await givenInstance(deps);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const email = `flood-${instance.slug}@example.test`;
    await adminClient.post('/api/v1/admin/users', { email, name: 'Fay Flood', role: 'member' });
    const token = tokenIn((await deliveredTo(deps, email))[0]!.text);
    const client = new Client(app);
    for (let i = 0; i < 5; i += 1)
      expect(errorCode(await client.post('/api/v1/auth/invitation', { token, password: 'password' }))).toBe('weak_password');
    const hashed = countHashing();
    expect(errorCode(await client.post('/api/v1/auth/invitation', { token, password: 'fay picks a long password' }))).toBe('rate_limited');
    expect(hashed()).toBe(0);
  });

  it('locks a client address after many refused links, before any lookup or hashing, and no other address', async () => {
    const { token } = await resetLink();
    const flooder = new Client(app);
    for (let i = 0; i < 50; i += 1) {
      expect(errorCode(await flooder.post('/api/v1/auth/reset', { token: `guess${i}`, password: 'a good new password here' }))).toBe(
        'forbidden',
      );
    }
    const hashed = countHashing();
    const refused = await flooder.post('/api/v1/auth/reset', { token, password: 'a good new password here' });
    expect(errorCode(refused)).toBe('rate_limited');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(hashed()).toBe(0);
    expect((await new Client(app).post('/api/v1/auth/reset', { token, password: 'a good new password here' })).statusCode).toBe(204);
  });
});
