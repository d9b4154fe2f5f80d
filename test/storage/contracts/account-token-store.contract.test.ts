import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { engines } from '../../support/db.ts';
import { givenInstance, givenUser, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { randomId } from '../../../src/crypto/random.ts';

/**
 * Single-use links and recovery codes (AccountTokenStore, issued and found across instances; and
 * TenantAccountTokenStore, spent within one instance). Only a hash of each token is stored.
 */
describe.each(engines())('AccountTokenStore and TenantAccountTokenStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  const hash = () => randomBytes(32).toString('hex');
  const now = new Date('2026-03-01T12:00:00Z');
  const later = addSeconds(now, 3600);

  async function issued(purpose: 'invitation' | 'reset' | 'recovery' = 'reset') {
    const { instance, admin } = await givenInstance(deps);
    const token = hash();
    expect(await deps.stores.accountTokens.issue(admin.id, purpose, token, now, later)).toBe(true);
    return { instance, user: admin, token, tenant: deps.stores.forInstance(instance.id) };
  }

  it('issues a token the user’s instance and id are found by, until it expires', async () => {
    const { instance, user, token } = await issued();
    const tokens = deps.stores.accountTokens;
    expect(await tokens.find(token, 'reset', now)).toEqual({ instanceId: instance.id, userId: user.id });
    expect(await tokens.lastIssuedAt(user.id, 'reset')).toEqual(now);
    expect(await tokens.activeUntil(user.id, 'reset', now)).toEqual(later);
    expect(await tokens.find(token, 'reset', later)).toBeNull();
    expect(await tokens.activeUntil(user.id, 'reset', later)).toBeNull();
    expect(await tokens.find(hash(), 'reset', now)).toBeNull();
  });

  it('stores tokens of several new users at once, and none for a user of another instance', async () => {
    const { instance } = await givenInstance(deps);
    const users = [await givenUser(deps, instance), await givenUser(deps, instance)];
    const tokens = users.map((user) => ({ userId: user.id, tokenHash: hash() }));
    const tenant = deps.stores.forInstance(instance.id);
    await tenant.accountTokens.insertForNewUsers(tokens, 'invitation', now, later);
    for (const [i, user] of users.entries())
      expect(await deps.stores.accountTokens.find(tokens[i]!.tokenHash, 'invitation', now)).toEqual({
        instanceId: instance.id,
        userId: user.id,
      });
    const other = await givenInstance(deps);
    const foreign = { userId: other.admin.id, tokenHash: hash() };
    await expect(tenant.accountTokens.insertForNewUsers([foreign], 'invitation', now, later)).rejects.toThrow();
    expect(await deps.stores.accountTokens.find(foreign.tokenHash, 'invitation', now)).toBeNull();
  });

  it('stores nothing for an unknown user', async () => {
    const nobody = randomId();
    const token = hash();
    expect(await deps.stores.accountTokens.issue(nobody, 'reset', token, now, later)).toBe(false);
    expect(await deps.stores.accountTokens.find(token, 'reset', now)).toBeNull();
    expect(await deps.stores.accountTokens.lastIssuedAt(nobody, 'reset')).toBeNull();
  });

  it('replaces the user’s unused token of the same purpose only, and keeps the time of a used one', async () => {
    const { user, token: firstReset, tenant } = await issued('reset');
    const tokens = deps.stores.accountTokens;
    const invitation = hash();
    expect(await tokens.issue(user.id, 'invitation', invitation, now, later)).toBe(true);
    const secondReset = hash();
    const secondAt = addSeconds(now, 60);
    expect(await tokens.issue(user.id, 'reset', secondReset, secondAt, addSeconds(later, 60))).toBe(true);
    expect(await tokens.find(firstReset, 'reset', secondAt)).toBeNull();
    expect(await tokens.find(secondReset, 'reset', secondAt)).not.toBeNull();
    expect(await tokens.find(invitation, 'invitation', secondAt)).not.toBeNull();
    expect(await tokens.lastIssuedAt(user.id, 'reset')).toEqual(secondAt);
    // A used token is not an active one, but still counts as the last one issued.
    expect(await tenant.accountTokens.consume(secondReset, 'reset', user.id, secondAt)).toBe(true);
    expect(await tokens.activeUntil(user.id, 'reset', secondAt)).toBeNull();
    expect(await tokens.lastIssuedAt(user.id, 'reset')).toEqual(secondAt);
  });

  it('leaves one usable token of a purpose when several are issued for the user at once', async () => {
    const { user } = await issued();
    const hashes = Array.from({ length: 10 }, hash);
    const results = await Promise.all(hashes.map((h) => deps.stores.accountTokens.issue(user.id, 'reset', h, now, later)));
    expect(results).toEqual(hashes.map(() => true));
    const usable = await Promise.all(hashes.map((h) => deps.stores.accountTokens.find(h, 'reset', now)));
    expect(usable.filter(Boolean)).toHaveLength(1);
  });

  it('issues in the caller’s transaction: a rolled-back issue leaves the earlier token working', async () => {
    const { user, token } = await issued();
    const replacement = hash();
    const failed = await deps.stores
      .transaction(async (stores) => {
        expect(await stores.accountTokens.issue(user.id, 'reset', replacement, now, later)).toBe(true);
        throw new Error('the rest of the change failed');
      })
      .catch((e: Error) => e.message);
    expect(failed).toBe('the rest of the change failed');
    expect(await deps.stores.accountTokens.find(replacement, 'reset', now)).toBeNull();
    expect(await deps.stores.accountTokens.find(token, 'reset', now)).not.toBeNull();
  });

  it('spends a token once: a second use, an expired token and another purpose are refused', async () => {
    const { user, token, tenant } = await issued('reset');
    expect(await tenant.accountTokens.consume(token, 'invitation', user.id, now)).toBe(false);
    expect(await tenant.accountTokens.consume(token, 'recovery', user.id, now)).toBe(false);
    expect(await deps.stores.accountTokens.find(token, 'invitation', now)).toBeNull();
    expect(await tenant.accountTokens.consume(token, 'reset', user.id, later)).toBe(false);
    expect(await tenant.accountTokens.consume(token, 'reset', user.id, now)).toBe(true);
    expect(await tenant.accountTokens.consume(token, 'reset', user.id, now)).toBe(false);
    expect(await deps.stores.accountTokens.find(token, 'reset', now)).toBeNull();
  });

  it('finds a token behind its row lock as find does: unused and unexpired, of its purpose, until it is spent', async () => {
    const { instance, user, token, tenant } = await issued('reset');
    const locked = (purpose: 'invitation' | 'reset', at: Date) =>
      deps.stores.transaction((stores) => stores.accountTokens.findLocked(token, purpose, at));
    expect(await locked('reset', now)).toEqual({ instanceId: instance.id, userId: user.id });
    expect(await locked('invitation', now)).toBeNull();
    expect(await locked('reset', later)).toBeNull();
    expect(await deps.stores.transaction((stores) => stores.accountTokens.findLocked(hash(), 'reset', now))).toBeNull();
    expect(await tenant.accountTokens.consume(token, 'reset', user.id, now)).toBe(true);
    expect(await locked('reset', now)).toBeNull();
  });

  it('lets exactly one of 20 concurrent uses of a token win', async () => {
    const { user, token, tenant } = await issued('recovery');
    const results = await Promise.all(Array.from({ length: 20 }, () => tenant.accountTokens.consume(token, 'recovery', user.id, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('refuses a token spent for another user or in another instance, which then still works in its own', async () => {
    const { instance, user, token, tenant } = await issued();
    const colleague = await givenUser(deps, instance);
    const other = await givenInstance(deps);
    const foreign = deps.stores.forInstance(other.instance.id).accountTokens;
    expect(await tenant.accountTokens.consume(token, 'reset', colleague.id, now)).toBe(false);
    expect(await foreign.consume(token, 'reset', user.id, now)).toBe(false);
    expect(await foreign.deleteUnusedForUser(user.id)).toBe(0);
    expect(await deps.stores.accountTokens.find(token, 'reset', now)).toEqual({ instanceId: instance.id, userId: user.id });
    expect(await tenant.accountTokens.consume(token, 'reset', user.id, now)).toBe(true);
  });

  it('deletes the user’s unused tokens of every purpose, keeping used ones and other users’', async () => {
    const { instance, user, token: reset, tenant } = await issued('reset');
    const colleague = await givenUser(deps, instance);
    const tokens = deps.stores.accountTokens;
    const invitation = hash();
    const recovery = hash();
    const colleagues = hash();
    await tokens.issue(user.id, 'invitation', invitation, now, later);
    await tokens.issue(user.id, 'recovery', recovery, now, later);
    await tokens.issue(colleague.id, 'reset', colleagues, now, later);
    expect(await tenant.accountTokens.consume(invitation, 'invitation', user.id, now)).toBe(true);
    expect(await tenant.accountTokens.deleteUnusedForUser(user.id)).toBe(2);
    expect(await tokens.find(reset, 'reset', now)).toBeNull();
    expect(await tokens.find(recovery, 'recovery', now)).toBeNull();
    expect(await tokens.lastIssuedAt(user.id, 'invitation')).toEqual(now);
    expect(await tokens.find(colleagues, 'reset', now)).toEqual({ instanceId: instance.id, userId: colleague.id });
  });

  it('inspects a token whatever its state: unused, used or past its time, and nothing for another purpose or a replaced one', async () => {
    const { instance, user, token, tenant } = await issued('invitation');
    const tokens = deps.stores.accountTokens;
    expect(await tokens.inspect(token, 'invitation')).toEqual({ instanceId: instance.id, userId: user.id, usedAt: null, expiresAt: later });
    expect(await tokens.inspect(token, 'reset')).toBeNull();
    expect(await tenant.accountTokens.consume(token, 'invitation', user.id, now)).toBe(true);
    expect(await tokens.inspect(token, 'invitation')).toMatchObject({ usedAt: now });
    const replaced = hash();
    expect(await tokens.issue(user.id, 'invitation', replaced, now, later)).toBe(true);
    expect(await tokens.issue(user.id, 'invitation', hash(), now, later)).toBe(true);
    expect(await tokens.inspect(replaced, 'invitation')).toBeNull();
  });
});
