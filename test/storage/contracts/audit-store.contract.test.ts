import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { engines } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { randomId } from '../../../src/crypto/random.ts';
import { operatorActor, userEvent, type AuditAction, type AuditActor, type NewAuditEvent } from '../../../src/domain/audit/audit-event.ts';

/** The append-only audit log (AuditStore): an instance's events by keyset pages, and an operator's own. */
describe.each(engines())('AuditStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  const start = new Date('2026-03-01T12:00:00Z');
  const person = (name: string) => ({
    id: randomId(),
    name,
    email: `${name.toLowerCase()}-${randomBytes(3).toString('hex')}@example.test`,
  });
  const client = { ip: '203.0.113.5', userAgent: 'Firefox' };
  const event = (
    instanceId: string | null,
    i: number,
    action: AuditAction,
    actor: AuditActor,
    targetId: string | null = null,
  ): NewAuditEvent => ({
    instanceId,
    at: addSeconds(start, i),
    action,
    actor,
    target: targetId ? { id: targetId, label: `target ${targetId}` } : null,
    ip: null,
    userAgent: null,
    details: { i },
  });
  /** The events by their number here; the one event givenInstance writes by its action. */
  const ids = (events: Array<{ action: string; details: Record<string, unknown> }>) => events.map((e) => e.details.i ?? e.action);

  it('reads an event back as written, and accepts an empty list', async () => {
    const { instance } = await givenInstance(deps);
    const user = person('Grace');
    const written = userEvent(start, 'password.changed', instance.id, user, client, { via: 'reset_link', nested: { a: [1, 'b'] } });
    await deps.stores.audit.record([]);
    await deps.stores.audit.record([written]);
    const [read, ...rest] = await deps.stores.audit.list(instance.id, { limit: 10, userId: user.id });
    expect(rest).toEqual([]);
    expect(read).toEqual({ ...written, id: expect.stringMatching(/^[1-9][0-9]*$/) });
  });

  it('lists newest first, reading limit + 1, and pages by the last id without skipping or repeating', async () => {
    const { instance } = await givenInstance(deps);
    const actor = operatorActor(person('Olga'));
    // One record call per event and one for several: both keep the order they were written in.
    for (let i = 0; i < 3; i++) await deps.stores.audit.record([event(instance.id, i, 'login.succeeded', actor)]);
    await deps.stores.audit.record([3, 4, 5, 6].map((i) => event(instance.id, i, 'login.succeeded', actor)));
    const first = await deps.stores.audit.list(instance.id, { limit: 3 });
    expect(ids(first)).toEqual([6, 5, 4, 3]);
    const second = await deps.stores.audit.list(instance.id, { limit: 3, before: first[2]!.id });
    expect(ids(second)).toEqual([3, 2, 1, 0]);
    const last = await deps.stores.audit.list(instance.id, { limit: 3, before: second[2]!.id });
    expect(ids(last)).toEqual([0, 'user.created']);
    expect(await deps.stores.audit.list(instance.id, { limit: 3, before: last[1]!.id })).toEqual([]);
  });

  it('filters by action and by a user as actor or target, with pages', async () => {
    const { instance } = await givenInstance(deps);
    const admin = person('Ada');
    const member = person('Max');
    const bystander = person('Bea');
    const asAdmin = { type: 'user' as const, id: admin.id, label: 'Ada' };
    const asMember = { type: 'user' as const, id: member.id, label: 'Max' };
    await deps.stores.audit.record([
      event(instance.id, 0, 'user.disabled', asAdmin, member.id),
      event(instance.id, 1, 'login.succeeded', asMember),
      event(instance.id, 2, 'user.enabled', asAdmin, bystander.id),
      event(instance.id, 3, 'login.succeeded', { type: 'user', id: bystander.id, label: 'Bea' }),
      event(instance.id, 4, 'login.failed', { type: 'user', id: null, label: 'Sign-in attempt' }, member.id),
      event(instance.id, 5, 'login.succeeded', asMember),
    ]);
    const list = (query: Parameters<typeof deps.stores.audit.list>[1]) => deps.stores.audit.list(instance.id, query).then(ids);
    expect(await list({ limit: 10, userId: member.id })).toEqual([5, 4, 1, 0]);
    expect(await list({ limit: 10, action: 'login.succeeded' })).toEqual([5, 3, 1]);
    expect(await list({ limit: 10, action: 'login.succeeded', userId: member.id })).toEqual([5, 1]);
    expect(await list({ limit: 10, userId: admin.id })).toEqual([2, 0]);
    const page = await deps.stores.audit.list(instance.id, { limit: 1, userId: member.id });
    expect(ids(page)).toEqual([5, 4]);
    expect(await list({ limit: 1, userId: member.id, before: page[0]!.id })).toEqual([4, 1]);
  });

  it('never lists another instance’s events, nor events outside every instance', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const user = person('Grace');
    const operator = person('Olga');
    const asUser = { type: 'user' as const, id: user.id, label: 'Grace' };
    await deps.stores.audit.record([
      event(a.instance.id, 0, 'login.succeeded', asUser),
      event(b.instance.id, 1, 'login.succeeded', asUser, user.id),
      event(null, 2, 'support.login_succeeded', operatorActor(operator), user.id),
      event(b.instance.id, 3, 'two_factor.reset', operatorActor(operator), user.id),
    ]);
    expect(ids(await deps.stores.audit.list(a.instance.id, { limit: 10 }))).toEqual([0, 'user.created']);
    expect(ids(await deps.stores.audit.list(a.instance.id, { limit: 10, userId: user.id }))).toEqual([0]);
    expect(ids(await deps.stores.audit.list(a.instance.id, { limit: 10, userId: operator.id }))).toEqual([]);
    expect(ids(await deps.stores.audit.list(a.instance.id, { limit: 10, action: 'two_factor.reset' }))).toEqual([]);
    const bEvents = await deps.stores.audit.list(b.instance.id, { limit: 10 });
    expect(ids(bEvents)).toEqual([3, 1, 'user.created']);
    // A cursor from another instance's page only bounds the ids: it shows nothing of that instance.
    expect(ids(await deps.stores.audit.list(a.instance.id, { limit: 10, before: bEvents[0]!.id }))).toEqual([0, 'user.created']);
  });

  // docs/recovery-and-audit.md: GET /support/activity is "the operator's own latest 20 events
  // (logins, step-ups, resets)", and their resets are events of the instance concerned.
  it('lists an operator’s own events, their own logins and their resets in instances, newest first and at most limit', async () => {
    const { instance } = await givenInstance(deps);
    const operator = person('Olga');
    const colleague = person('Otto');
    await deps.stores.audit.record([
      event(null, 0, 'support.login_succeeded', operatorActor(operator)),
      event(null, 1, 'support.login_succeeded', operatorActor(colleague)),
      event(instance.id, 2, 'two_factor.reset', operatorActor(operator), randomId()),
      // Not theirs: the CLI resetting the operator, and a user event that names the same id.
      event(null, 3, 'two_factor.reset', { type: 'cli', id: null, label: 'CLI: root@host' }, operator.id),
      event(instance.id, 4, 'login.succeeded', { type: 'user', id: operator.id, label: 'Not an operator' }),
      event(null, 5, 'step_up.succeeded', operatorActor(operator)),
    ]);
    const own = await deps.stores.audit.listForOperator(operator.id, 10);
    expect(ids(own)).toEqual([5, 2, 0]);
    expect(own.map((e) => e.instanceId)).toEqual([null, instance.id, null]);
    expect(ids(await deps.stores.audit.listForOperator(operator.id, 2))).toEqual([5, 2]);
    expect(ids(await deps.stores.audit.listForOperator(colleague.id, 10))).toEqual([1]);
  });
});
