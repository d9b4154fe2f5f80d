import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { givenInstance, givenUser, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { newSessionToken, sessionHandle } from '../../../src/domain/session/session.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';

describe.each(engines())('SessionStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  async function givenSession(instanceId: string, userId: string, now = new Date()) {
    const token = newSessionToken();
    await deps.stores.forInstance(instanceId).sessions.rotate(null, {
      id: token.id,
      secretHash: token.secretHash,
      userId,
      stage: 'done',
      lastSeenAt: now,
      expiresAt: addSeconds(now, 3600),
      ip: '127.0.0.1',
      userAgent: 'test',
      secondFactorAt: null,
    });
    return token;
  }
  const find = (id: string, hash: string, now: Date) =>
    deps.stores.sessions.findActive(id, hash, { now, idleCutoff: addSeconds(now, -1800), touchBefore: addSeconds(now, -60) });

  it('returns the session with its user and instance in one lookup', async () => {
    const { instance, admin } = await givenInstance(deps);
    const token = await givenSession(instance.id, admin.id);
    const active = await find(token.id, token.secretHash, new Date());
    expect(active?.user.id).toBe(admin.id);
    expect(active?.instance.slug).toBe(instance.slug);
    expect(active?.secretHash).toBe(token.secretHash);
  });

  it('returns null after the absolute expiry and after the idle limit', async () => {
    const { instance, admin } = await givenInstance(deps);
    const start = new Date();
    const token = await givenSession(instance.id, admin.id, start);
    expect(await find(token.id, token.secretHash, addSeconds(start, 3601))).toBeNull();
    expect(await find(token.id, token.secretHash, addSeconds(start, 1801))).toBeNull();
  });

  it('refreshes last_seen so an active session does not go idle', async () => {
    const { instance, admin } = await givenInstance(deps);
    const start = new Date();
    const token = await givenSession(instance.id, admin.id, start);
    expect(await find(token.id, token.secretHash, addSeconds(start, 1500))).not.toBeNull();
    const later = await find(token.id, token.secretHash, addSeconds(start, 2500));
    expect(later?.session.lastSeenAt.getTime()).toBe(addSeconds(start, 1500).getTime());
  });

  it('does not refresh last_seen for a wrong secret', async () => {
    const { instance, admin } = await givenInstance(deps);
    const start = new Date();
    const token = await givenSession(instance.id, admin.id, start);
    await find(token.id, 'f'.repeat(64), addSeconds(start, 1500));
    expect(await find(token.id, token.secretHash, addSeconds(start, 1801))).toBeNull();
  });

  it('rotates: the previous session ends when the new one starts', async () => {
    const { instance, admin } = await givenInstance(deps);
    const first = await givenSession(instance.id, admin.id);
    const next = newSessionToken();
    const now = new Date();
    await deps.stores.forInstance(instance.id).sessions.rotate(
      { id: first.id, secretHash: first.secretHash },
      {
        id: next.id,
        secretHash: next.secretHash,
        userId: admin.id,
        stage: 'done',
        lastSeenAt: now,
        expiresAt: addSeconds(now, 60),
        ip: null,
        userAgent: null,
        secondFactorAt: null,
      },
    );
    expect(await find(first.id, first.secretHash, now)).toBeNull();
    expect(await find(next.id, next.secretHash, now)).not.toBeNull();
  });

  it('with requirePrevious, starts nothing when the previous session is already gone (ended by a reset meanwhile)', async () => {
    const { instance, admin } = await givenInstance(deps);
    const first = await givenSession(instance.id, admin.id);
    await deps.stores.forInstance(instance.id).sessions.deleteForUser(admin.id);
    const next = newSessionToken();
    const now = new Date();
    const started = await deps.stores.forInstance(instance.id).sessions.rotate(
      { id: first.id, secretHash: first.secretHash },
      {
        id: next.id,
        secretHash: next.secretHash,
        userId: admin.id,
        stage: 'done',
        lastSeenAt: now,
        expiresAt: addSeconds(now, 60),
        ip: null,
        userAgent: null,
        secondFactorAt: null,
      },
      { requirePrevious: true },
    );
    expect(started).toBe(false);
    expect(await find(next.id, next.secretHash, now)).toBeNull();
  });

  it('does not end a session whose secret the client does not have', async () => {
    const { instance, admin } = await givenInstance(deps);
    const victim = await givenSession(instance.id, admin.id);
    const mine = newSessionToken();
    const now = new Date();
    await deps.stores.forInstance(instance.id).sessions.rotate(
      { id: victim.id, secretHash: 'f'.repeat(64) },
      {
        id: mine.id,
        secretHash: mine.secretHash,
        userId: admin.id,
        stage: 'done',
        lastSeenAt: now,
        expiresAt: addSeconds(now, 60),
        ip: null,
        userAgent: null,
        secondFactorAt: null,
      },
    );
    expect(await find(victim.id, victim.secretHash, now)).not.toBeNull();
  });

  it('cannot end or rotate away a session of another instance', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const victim = await givenSession(a.instance.id, a.admin.id);
    const mine = newSessionToken();
    const now = new Date();
    const other = deps.stores.forInstance(b.instance.id).sessions;
    await other.rotate(
      { id: victim.id, secretHash: victim.secretHash },
      {
        id: mine.id,
        secretHash: mine.secretHash,
        userId: b.admin.id,
        stage: 'done',
        lastSeenAt: now,
        expiresAt: addSeconds(now, 60),
        ip: null,
        userAgent: null,
        secondFactorAt: null,
      },
    );
    expect(await other.deleteForUser(a.admin.id)).toBe(0);
    expect(await find(victim.id, victim.secretHash, now)).not.toBeNull();
  });

  it('deletes every session of a user except the one kept', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const keep = await givenSession(instance.id, admin.id);
    const drop = await givenSession(instance.id, admin.id);
    const others = await givenSession(instance.id, member.id);
    expect(await deps.stores.forInstance(instance.id).sessions.deleteForUser(admin.id, keep.id)).toBe(1);
    const now = new Date();
    expect(await find(keep.id, keep.secretHash, now)).not.toBeNull();
    expect(await find(drop.id, drop.secretHash, now)).toBeNull();
    expect(await find(others.id, others.secretHash, now)).not.toBeNull();
  });

  it('deletes a session only with its secret hash', async () => {
    const { instance, admin } = await givenInstance(deps);
    const token = await givenSession(instance.id, admin.id);
    await deps.stores.sessions.delete(token.id, 'a'.repeat(64));
    expect(await find(token.id, token.secretHash, new Date())).not.toBeNull();
    await deps.stores.sessions.delete(token.id, token.secretHash);
    expect(await find(token.id, token.secretHash, new Date())).toBeNull();
  });

  it('lists the user’s sessions inside the lookup, this one first, with handles computed as the domain computes them', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const start = new Date();
    const older = await givenSession(instance.id, admin.id, start);
    const mine = await givenSession(instance.id, admin.id, addSeconds(start, -600));
    await givenSession(instance.id, member.id, start);
    const active = await deps.stores.sessions.findActive(
      mine.id,
      mine.secretHash,
      { now: start, idleCutoff: addSeconds(start, -1800), touchBefore: addSeconds(start, -60) },
      undefined,
      { sessions: 10 },
    );
    expect(active?.userSessions?.map((s) => [s.handle, s.current])).toEqual([
      [sessionHandle(mine.id), true],
      [sessionHandle(older.id), false],
    ]);
    // Without the list option the lookup reads none.
    expect((await find(mine.id, mine.secretHash, start))?.userSessions).toBeUndefined();
  });

  it('deletes by handle only the user’s own session of this instance', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const member = await givenUser(deps, a.instance);
    const victim = await givenSession(a.instance.id, a.admin.id);
    const handle = sessionHandle(victim.id);
    expect(await deps.stores.forInstance(b.instance.id).sessions.deleteByHandle(a.admin.id, handle)).toBeNull();
    expect(await deps.stores.forInstance(a.instance.id).sessions.deleteByHandle(member.id, handle)).toBeNull();
    expect(await deps.stores.forInstance(a.instance.id).sessions.deleteByHandle(a.admin.id, victim.id)).toBeNull();
    expect(await find(victim.id, victim.secretHash, new Date())).not.toBeNull();
    expect(await deps.stores.forInstance(a.instance.id).sessions.deleteByHandle(a.admin.id, handle)).toEqual({
      id: victim.id,
      ip: '127.0.0.1',
      userAgent: 'test',
    });
    expect(await find(victim.id, victim.secretHash, new Date())).toBeNull();
  });
});
