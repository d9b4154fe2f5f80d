import { describe, expect, it } from 'vitest';
import { engines, openIsolatedDatabase } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { sealMail } from '../../../src/domain/mail/seal-mail.ts';
import type { MailLogEntry } from '../../../src/domain/mail/mail-log-store.ts';

describe.each(engines())('MailLogStore on %s', (engine) => {
  let deps: TestDeps;
  // Moving mail through its states claims from the outbox every instance shares: a database of
  // its own, so no other test file's mail is claimed here and no other worker claims these.
  useTestDeps(engine, (t) => ({ deps } = t), openIsolatedDatabase);

  const enqueue = (instanceId: string | null, to: string, at: Date) =>
    deps.stores.outbox.enqueue(
      instanceId,
      sealMail(deps.secretBox, { to, subject: `Subject for ${to}`, text: 'secret body', html: '<p>secret body</p>' }),
      at,
    );

  /** Claims every due mail (the tests of this file run one after another) and returns this instance's. */
  async function claimAll(at: Date, tag: string) {
    const claimed = await deps.stores.outbox.claimDue(at, addSeconds(at, 60), 1000);
    return new Map(claimed.filter((m) => m.to.endsWith(tag)).map((m) => [m.to, m.id]));
  }

  it('lists the instance’s mails newest first, envelopes and delivery state only, never the bodies', async () => {
    const { instance, admin } = await givenInstance(deps);
    const tag = `@mail.${instance.slug}.test`;
    const at = addSeconds(deps.clock.now(), 1);
    for (let i = 0; i < 4; i += 1) await enqueue(instance.id, `m${i}${tag}`, addSeconds(at, i));
    const log = deps.stores.forInstance(instance.id).mail;
    const all = await log.list(null, 100);
    // The admin's "account created" mail was queued with the instance, before these.
    expect(all.map((m) => m.to)).toEqual([`m3${tag}`, `m2${tag}`, `m1${tag}`, `m0${tag}`, admin.email]);
    expect(all[0]).toEqual({
      id: expect.any(Number),
      to: `m3${tag}`,
      subject: `Subject for m3${tag}`,
      status: 'pending',
      attempts: 0,
      lastError: null,
      createdAt: addSeconds(at, 3),
      sentAt: null,
    } satisfies MailLogEntry);
    // The limit keeps the newest.
    expect((await log.list(null, 2)).map((m) => m.to)).toEqual([`m3${tag}`, `m2${tag}`]);
  });

  it('filters by delivery state: pending, sending, sent and dead, with the last error', async () => {
    const { instance } = await givenInstance(deps);
    const tag = `@mail.${instance.slug}.test`;
    const at = new Date('2001-01-01T00:00:00Z');
    for (const name of ['sent', 'sending', 'failed', 'dead', 'later']) await enqueue(instance.id, `${name}${tag}`, at);
    const ids = await claimAll(addSeconds(at, 1), tag);
    await deps.stores.outbox.markSent(ids.get(`sent${tag}`)!, addSeconds(at, 2));
    await deps.stores.outbox.markFailed(ids.get(`failed${tag}`)!, 'smtp said 451', addSeconds(at, 60), false);
    await deps.stores.outbox.markFailed(ids.get(`dead${tag}`)!, 'smtp said 550', addSeconds(at, 60), true);
    await deps.stores.outbox.markFailed(ids.get(`later${tag}`)!, 'smtp said 421', addSeconds(at, 60), false);
    const log = deps.stores.forInstance(instance.id).mail;
    const summary = async (status: MailLogEntry['status']) =>
      (await log.list(status, 100))
        .filter((m) => m.to.endsWith(tag))
        .map((m) => ({ to: m.to.replace(tag, ''), attempts: m.attempts, lastError: m.lastError, sentAt: m.sentAt }));
    expect(await summary('sent')).toEqual([{ to: 'sent', attempts: 1, lastError: null, sentAt: addSeconds(at, 2) }]);
    expect(await summary('sending')).toEqual([{ to: 'sending', attempts: 1, lastError: null, sentAt: null }]);
    expect(await summary('dead')).toEqual([{ to: 'dead', attempts: 1, lastError: 'smtp said 550', sentAt: null }]);
    expect(await summary('pending')).toEqual([
      { to: 'later', attempts: 1, lastError: 'smtp said 421', sentAt: null },
      { to: 'failed', attempts: 1, lastError: 'smtp said 451', sentAt: null },
    ]);
    expect((await log.list(null, 100)).filter((m) => m.to.endsWith(tag))).toHaveLength(5);
  });

  it('puts a dead mail back in the queue once, and nothing that is not dead', async () => {
    const { instance } = await givenInstance(deps);
    const tag = `@mail.${instance.slug}.test`;
    const at = new Date('2002-01-01T00:00:00Z');
    await enqueue(instance.id, `dead${tag}`, at);
    await enqueue(instance.id, `sent${tag}`, at);
    const ids = await claimAll(addSeconds(at, 1), tag);
    await deps.stores.outbox.markFailed(ids.get(`dead${tag}`)!, 'gave up', addSeconds(at, 3600), true);
    await deps.stores.outbox.markSent(ids.get(`sent${tag}`)!, addSeconds(at, 2));
    const log = deps.stores.forInstance(instance.id).mail;
    const retryAt = addSeconds(at, 10);
    expect(await log.retry(ids.get(`sent${tag}`)!, retryAt)).toBe(false);
    expect(await log.retry(ids.get(`dead${tag}`)!, retryAt)).toBe(true);
    expect(await log.retry(ids.get(`dead${tag}`)!, retryAt)).toBe(false);
    expect(await log.retry(2_000_000_000, retryAt)).toBe(false);
    expect((await log.list('pending', 100)).filter((m) => m.to.endsWith(tag)).map((m) => m.to)).toEqual([`dead${tag}`]);
    // Due at once: the next claim takes it.
    expect([...(await claimAll(retryAt, tag)).keys()]).toEqual([`dead${tag}`]);
  });

  it('never lists another instance’s mail, nor mail of no instance, and cannot retry another instance’s', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const at = new Date('2003-01-01T00:00:00Z');
    // The same recipient in both, and an operator's mail that belongs to no instance.
    const to = `shared@${a.instance.slug}.test`;
    await enqueue(a.instance.id, to, at);
    await enqueue(b.instance.id, to, at);
    await enqueue(null, to, at);
    const claimed = await deps.stores.outbox.claimDue(addSeconds(at, 1), addSeconds(at, 60), 1000);
    for (const mail of claimed.filter((m) => m.to === to)) await deps.stores.outbox.markFailed(mail.id, 'x', addSeconds(at, 3600), true);
    const inA = await deps.stores.forInstance(a.instance.id).mail.list(null, 100);
    const inB = await deps.stores.forInstance(b.instance.id).mail.list(null, 100);
    // Each sees its own admin's "account created" mail and its own copy of the shared one.
    expect(inA.map((m) => m.to)).toEqual([to, a.admin.email]);
    expect(inB.map((m) => m.to)).toEqual([to, b.admin.email]);
    const [sharedA, sharedB] = [inA[0]!.id, inB[0]!.id];
    const ofNoInstance = claimed.find((m) => m.to === to && m.id !== sharedA && m.id !== sharedB)!.id;
    expect(sharedA).not.toBe(sharedB);
    expect(await deps.stores.forInstance(b.instance.id).mail.retry(sharedA, at)).toBe(false);
    expect(await deps.stores.forInstance(a.instance.id).mail.retry(ofNoInstance, at)).toBe(false);
    expect((await deps.stores.forInstance(a.instance.id).mail.list('dead', 100)).map((m) => m.id)).toEqual([sharedA]);
    expect(await deps.stores.forInstance(a.instance.id).mail.retry(sharedA, at)).toBe(true);
  });
});
