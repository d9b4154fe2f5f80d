import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, testDeps, type TestDeps } from '../support/deps.ts';
import { Client, useCountedTestApp } from '../support/app.ts';
import { QueryCounter } from '../support/query-counter.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { processPasswordResetRequests } from '../../src/domain/account/password-links.ts';

/** Waits until no statement has started for a while: whatever the request left running has finished. */
async function settled(counter: QueryCounter): Promise<number> {
  let seen = -1;
  for (let i = 0; i < 40 && seen !== counter.count; i += 1) {
    seen = counter.count;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return counter.count;
}

// RL-07 (issue 10 item 11): on the embedded database the work for an existing account ran on
// after the 204 in the same process, so a cheap request right after it told accounts apart. A
// request now does one identical insert into a queue, whatever the account; a background worker
// (the outbox worker's loop) turns it into the mail later.
describe.each(engines())('forgot password on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  const counter = new QueryCounter();
  useCountedTestApp(engine, counter, (t) => ({ database, deps, app } = t));

  const forgot = async (instance: string, email: string) => {
    await settled(counter);
    counter.reset();
    const response = await new Client(app).post('/api/v1/auth/forgot', { instance, email });
    expect(response.statusCode).toBe(204);
    const beforeAnswer = counter.count;
    return { beforeAnswer, inPath: await settled(counter) };
  };

  it('runs the same statements for an unknown and a known account, before and after its answer', async () => {
    const { instance, admin } = await givenInstance(deps);
    const unknown = await forgot(instance.slug, `ghost@${instance.slug}.test`);
    const known = await forgot(instance.slug, admin.email);
    expect(known).toEqual(unknown);
    expect(known).toEqual({ beforeAnswer: 1, inPath: 1 });
    // The mail still arrives, for the known account only.
    const mails = (await deliveredTo(deps, admin.email)).filter((m) => m.subject.startsWith('Reset your'));
    expect(mails).toHaveLength(1);
    expect(await deliveredTo(deps, `ghost@${instance.slug}.test`)).toHaveLength(0);
  });

  it('loses nothing when the process ends before the work is done', async () => {
    const { instance, admin } = await givenInstance(deps);
    await forgot(instance.slug, admin.email);
    // The request's process ends here; another one, with its own worker, finds the request. A
    // worker that dies in the middle of the work (here: while sealing the mail) leaves it queued.
    const next = await testDeps(database);
    const dying = {
      ...next,
      secretBox: {
        ...next.secretBox,
        seal: () => {
          throw new Error('the process died here');
        },
      },
    };
    await expect(processPasswordResetRequests(dying)).rejects.toThrow('the process died here');
    const mails = (await deliveredTo(next, admin.email)).filter((m) => m.subject.startsWith('Reset your'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('/reset?instance=');
  });
});
