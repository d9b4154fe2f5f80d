/**
 * The queue of "forgot password" requests between the route and the worker, and what the worker
 * makes of a request over the ports (processPasswordResetRequests): a link only for the account
 * the request names, and none once the password changed after the request was queued.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { engines, openIsolatedDatabase } from '../../support/db.ts';
import { givenInstance, givenUser, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { emailKey } from '../../../src/domain/account/user.ts';
import { processPasswordResetRequests } from '../../../src/domain/account/password-links.ts';
import type { ResetRequest } from '../../../src/domain/account/reset-request-store.ts';
import type { Stores } from '../../../src/domain/shared/stores.ts';

describe.each(engines())('ResetRequestStore on %s', (engine) => {
  let deps: TestDeps;
  // The queue is shared by every instance and taken by any worker: a database of its own, so
  // other test files' workers cannot take these requests mid-test.
  useTestDeps(engine, (t) => ({ deps } = t), openIsolatedDatabase);

  /** Claims and deletes in one transaction, as a worker's batch does. */
  const takeBatch = (limit: number, stores: Stores = deps.stores) =>
    stores.transaction(async (tx) => {
      const claimed = await tx.resetRequests.claim(limit);
      await tx.resetRequests.delete(claimed.map((r) => r.id));
      return claimed;
    });

  // The tests of this file share the queue: each starts from an empty one.
  beforeEach(async () => {
    while ((await takeBatch(1000)).length > 0);
  });

  const queue = async (instanceSlug: string, count: number, start = new Date()) => {
    for (let i = 0; i < count; i += 1)
      await deps.stores.resetRequests.insert({ instanceSlug, emailKey: `u${i}@example.test`, requestedAt: addSeconds(start, i) });
  };

  it('hands out the oldest requests first, up to the limit, as they were queued', async () => {
    const { instance } = await givenInstance(deps);
    const at = new Date('2026-03-01T08:00:00.123Z');
    await queue(instance.slug, 3, at);
    const first = await takeBatch(2);
    expect(first.map(({ instanceSlug, emailKey, requestedAt }) => ({ instanceSlug, emailKey, requestedAt }))).toEqual([
      { instanceSlug: instance.slug, emailKey: 'u0@example.test', requestedAt: at },
      { instanceSlug: instance.slug, emailKey: 'u1@example.test', requestedAt: addSeconds(at, 1) },
    ]);
    expect((await takeBatch(10)).map((r) => r.emailKey)).toEqual(['u2@example.test']);
    expect(await takeBatch(10)).toEqual([]);
  });

  it('gives each request to exactly one of several workers taking batches at once', async () => {
    const { instance } = await givenInstance(deps);
    await queue(instance.slug, 24);
    const worker = async () => {
      const taken: ResetRequest[] = [];
      for (let batch = await takeBatch(3); batch.length > 0; batch = await takeBatch(3)) taken.push(...batch);
      return taken;
    };
    const taken = (await Promise.all([worker(), worker(), worker(), worker()])).flat();
    expect(taken).toHaveLength(24);
    expect(new Set(taken.map((r) => r.id)).size).toBe(24);
  });

  it.skipIf(engine === 'pglite')('skips the requests a running batch holds instead of waiting for it (SKIP LOCKED)', async () => {
    // PGlite is one connection: a second transaction cannot start while the first is open.
    const { instance } = await givenInstance(deps);
    await queue(instance.slug, 4);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const holds = new Promise<void>((resolve) => (holding = resolve));
    const first = deps.stores.transaction(async (tx) => {
      const claimed = await tx.resetRequests.claim(2);
      holding();
      await held;
      return claimed;
    });
    await holds;
    const second = await deps.stores.transaction((tx) => tx.resetRequests.claim(10));
    release();
    const firsts = await first;
    expect(firsts.map((r) => r.emailKey)).toEqual(['u0@example.test', 'u1@example.test']);
    expect(second.map((r) => r.emailKey)).toEqual(['u2@example.test', 'u3@example.test']);
  });

  it('leaves the requests of a batch that failed before committing for the next worker', async () => {
    const { instance } = await givenInstance(deps);
    await queue(instance.slug, 2);
    const failed = await deps.stores
      .transaction(async (tx) => {
        expect(await tx.resetRequests.claim(10)).toHaveLength(2);
        throw new Error('the worker died here');
      })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((await takeBatch(10)).map((r) => r.emailKey)).toEqual(['u0@example.test', 'u1@example.test']);
  });

  it('deletes the requests named and no others', async () => {
    const { instance } = await givenInstance(deps);
    await queue(instance.slug, 3);
    const all = await deps.stores.transaction((tx) => tx.resetRequests.claim(10));
    await deps.stores.resetRequests.delete([]);
    await deps.stores.resetRequests.delete([all[1]!.id]);
    expect((await takeBatch(10)).map((r) => r.emailKey)).toEqual(['u0@example.test', 'u2@example.test']);
  });

  describe('turned into links by the worker', () => {
    it('issues no link for a request queued before the password changed, and one for a request queued at the change or later', async () => {
      const { instance } = await givenInstance(deps);
      const user = await givenUser(deps, instance);
      const tenant = deps.stores.forInstance(instance.id);
      const queuedAt = deps.clock.now();
      await deps.stores.resetRequests.insert({ instanceSlug: instance.slug, emailKey: emailKey(user.email), requestedAt: queuedAt });
      // The owner changes the password a millisecond after asking (the queue keeps milliseconds).
      const changedAt = new Date(queuedAt.getTime() + 1);
      expect(await tenant.passwords.replace(user.id, 'changed-hash', changedAt, 5)).toBe(true);
      deps.clock.advanceSeconds(10);
      expect(await processPasswordResetRequests(deps)).toBe(1);
      expect(await deps.stores.accountTokens.lastIssuedAt(user.id, 'reset')).toBeNull();
      // Asked at the instant of the change (as a new account's creation is): not strictly after it, so a link.
      await deps.stores.resetRequests.insert({ instanceSlug: instance.slug, emailKey: emailKey(user.email), requestedAt: changedAt });
      expect(await processPasswordResetRequests(deps)).toBe(1);
      const issuedAt = deps.clock.now();
      expect(await deps.stores.accountTokens.lastIssuedAt(user.id, 'reset')).toEqual(issuedAt);
      expect(await deps.stores.accountTokens.activeUntil(user.id, 'reset', issuedAt)).not.toBeNull();
    });

    it('issues a link only in the instance the request names, not to the same address elsewhere', async () => {
      const a = await givenInstance(deps);
      const b = await givenInstance(deps);
      const email = `same-${a.instance.slug}@example.test`;
      const inA = await givenUser(deps, a.instance, email);
      const inB = await givenUser(deps, b.instance, email);
      deps.clock.advanceSeconds(10);
      await deps.stores.resetRequests.insert({ instanceSlug: a.instance.slug, emailKey: emailKey(email), requestedAt: deps.clock.now() });
      expect(await processPasswordResetRequests(deps)).toBe(1);
      expect(await deps.stores.accountTokens.lastIssuedAt(inA.id, 'reset')).toEqual(deps.clock.now());
      expect(await deps.stores.accountTokens.lastIssuedAt(inB.id, 'reset')).toBeNull();
    });
  });
});
