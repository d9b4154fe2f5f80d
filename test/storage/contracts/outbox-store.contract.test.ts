import { describe, expect, it } from 'vitest';
import { engines, openIsolatedDatabase } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { sealMail } from '../../../src/domain/mail/seal-mail.ts';

const mail = (to: string) => ({ to, subject: 's', text: 't', html: '<p>h</p>' });
const sealed = (box: TestDeps['secretBox'], to: string) => sealMail(box, mail(to));

describe.each(engines())('OutboxStore and DevMailboxStore on %s', (engine) => {
  let deps: TestDeps;
  // The outbox is shared by every instance and claimed by any worker: a database of its own, so
  // other test files' workers cannot take these mails mid-test.
  useTestDeps(engine, (t) => ({ deps } = t), openIsolatedDatabase);

  // Each test still filters by its own unique recipients: the tests of this file share the outbox.
  it('hands each due mail to exactly one of several concurrent claimers', async () => {
    const { instance } = await givenInstance(deps);
    const now = new Date();
    const tag = `box.${instance.slug}`;
    for (let i = 0; i < 12; i += 1) await deps.stores.outbox.enqueue(instance.id, sealed(deps.secretBox, `${i}@${tag}.test`), now);
    const later = addSeconds(now, 1);
    const claims = await Promise.all([1, 2, 3].map(() => deps.stores.outbox.claimDue(later, addSeconds(later, 60), 100)));
    const mine = claims.flat().filter((m) => m.to.endsWith(`@${tag}.test`));
    expect(mine).toHaveLength(12);
    expect(new Set(mine.map((m) => m.id)).size).toBe(12);
    expect(mine.every((m) => m.attempts === 1)).toBe(true);
  });

  it('queues several mails of an instance in one call, each claimed once, and nothing for none', async () => {
    const { instance } = await givenInstance(deps);
    const now = new Date();
    const tag = `@many.${instance.slug}.test`;
    await deps.stores.outbox.enqueueMany(instance.id, [], now);
    await deps.stores.outbox.enqueueMany(
      instance.id,
      ['a', 'b', 'c'].map((n) => sealed(deps.secretBox, `${n}${tag}`)),
      now,
    );
    const mine = (await deps.stores.outbox.claimDue(addSeconds(now, 1), addSeconds(now, 60), 1000)).filter((m) => m.to.endsWith(tag));
    expect(mine.map((m) => m.to).sort()).toEqual([`a${tag}`, `b${tag}`, `c${tag}`]);
    expect(mine.every((m) => m.sealed && m.attempts === 1)).toBe(true);
  });

  it('does not hand out mail that is leased, sent, or not yet due; an expired lease is due again', async () => {
    const { instance } = await givenInstance(deps);
    const now = new Date();
    const tag = `@box.${instance.slug}.test`;
    await deps.stores.outbox.enqueue(instance.id, sealed(deps.secretBox, `a${tag}`), now);
    const [first] = (await deps.stores.outbox.claimDue(now, addSeconds(now, 60), 1000)).filter((m) => m.to.endsWith(tag));
    expect(first).toBeDefined();
    const during = await deps.stores.outbox.claimDue(addSeconds(now, 30), addSeconds(now, 90), 1000);
    expect(during.filter((m) => m.to.endsWith(tag))).toHaveLength(0);
    const after = await deps.stores.outbox.claimDue(addSeconds(now, 61), addSeconds(now, 120), 1000);
    const again = after.filter((m) => m.to.endsWith(tag));
    expect(again.map((m) => [m.id, m.attempts])).toEqual([[first!.id, 2]]);
    await deps.stores.outbox.markSent(first!.id, now);
    const none = await deps.stores.outbox.claimDue(addSeconds(now, 500), addSeconds(now, 600), 1000);
    expect(none.filter((m) => m.to.endsWith(tag))).toHaveLength(0);
  });

  it('retries a failed mail at its next attempt time and never after it is dead', async () => {
    const { instance } = await givenInstance(deps);
    const now = new Date();
    const tag = `@box.${instance.slug}.test`;
    await deps.stores.outbox.enqueue(instance.id, sealed(deps.secretBox, `b${tag}`), now);
    await deps.stores.outbox.enqueue(instance.id, sealed(deps.secretBox, `c${tag}`), now);
    const claimed = (await deps.stores.outbox.claimDue(now, addSeconds(now, 60), 1000)).filter((m) => m.to.endsWith(tag));
    const [b, c] = claimed.sort((x, y) => x.to.localeCompare(y.to));
    await deps.stores.outbox.markFailed(b!.id, 'smtp down', addSeconds(now, 10), false);
    await deps.stores.outbox.markFailed(c!.id, 'smtp down', addSeconds(now, 10), true);
    expect(
      (await deps.stores.outbox.claimDue(addSeconds(now, 5), addSeconds(now, 65), 1000)).filter((m) => m.to.endsWith(tag)),
    ).toHaveLength(0);
    const retried = (await deps.stores.outbox.claimDue(addSeconds(now, 11), addSeconds(now, 70), 1000)).filter((m) => m.to.endsWith(tag));
    expect(retried.map((m) => m.to)).toEqual([`b${tag}`]);
  });

  it('shows a redelivered mail once in the dev mailbox, newest first', async () => {
    const { instance } = await givenInstance(deps);
    const now = new Date();
    // Outbox ids are unique across runs on a shared database: pick fresh ones.
    const first = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    await deps.stores.devMailbox.deliver(first, mail(`x@${instance.slug}.test`), now);
    await deps.stores.devMailbox.deliver(first, mail(`x@${instance.slug}.test`), now);
    await deps.stores.devMailbox.deliver(first + 1, mail(`y@${instance.slug}.test`), now);
    const list = (await deps.stores.devMailbox.list(1000)).filter((m) => m.to.endsWith(`@${instance.slug}.test`));
    expect(list.map((m) => m.to)).toEqual([`y@${instance.slug}.test`, `x@${instance.slug}.test`]);
  });
});
