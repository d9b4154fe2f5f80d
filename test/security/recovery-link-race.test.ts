/**
 * A reset link and an administrator's recovery code submitted twice at once (issue 11 review; CI
 * once saw the loser of mailbox-alone-pending-recovery's burst answer admin_recovery_required):
 * the loser must answer as any spent link does, 403 forbidden, not "enter the recovery code",
 * which asks for a code that can no longer help. Replayed in the one interleaving that broke it:
 * the winner's spend (link, code, and the clean-up of the link's throttle row) is held open in a
 * transaction, the loser opens the link (still unspent for it) and waits behind that transaction,
 * and then checks its code after the winner committed. PostgreSQL only (see lock-waits.ts).
 */
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { givenInstance, givenUser, deliveredTo, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { heldOpen, settledFlag, until, waitingBehind, WAIT_LIMIT_MS } from '../support/lock-waits.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createStores } from '../../src/storage/stores.ts';
import { sha256Hex } from '../../src/crypto/hash.ts';
import { recoveryCodeHash } from '../../src/domain/account/password-links.ts';
import { LINK_POLICY } from '../../src/domain/account/link-throttle.ts';
import { linkKey } from '../../src/domain/throttle/throttle.ts';

const LINK = /\/reset\?instance=[a-z0-9-]+#token=([A-Za-z0-9_-]+)/;

describe.runIf(process.env.TEST_DATABASE_URL)('a recovery link and code submitted twice at once, on PostgreSQL', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('postgres', (t) => ({ database, deps, app } = t));

  it('answers the loser as a spent link (403 forbidden) when the winner commits while the loser waits on its attempt', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const memberClient = new Client(app);
    expect((await memberClient.login(instance.slug, member.email, PASSWORD)).statusCode).toBe(200);
    expect((await memberClient.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } })).statusCode).toBe(200);
    const adminClient = new Client(app);
    expect((await adminClient.login(instance.slug, admin.email, PASSWORD)).statusCode).toBe(200);
    const started = await adminClient.post(`/api/v1/admin/users/${member.id}/password-recovery`);
    expect(started.statusCode).toBe(201);
    const code = started.json<{ code: string }>().code;
    const mail = (await deliveredTo(deps, member.email)).filter((m) => m.subject.startsWith('Recover')).at(-1)!;
    const token = LINK.exec(mail.text)![1]!;
    const linkHash = sha256Hex(token);

    // The winner's attempt on the link, counted and committed, as reserveLinkAttempt does.
    expect(await deps.stores.throttles.reserve(linkKey(linkHash), LINK_POLICY, deps.clock.now())).toBe(1);
    const began = Date.now();
    // The winner's spend, as setPasswordWithLink's transaction makes it, held open.
    const winner = heldOpen(database.db, async (tx) => {
      const stores = createStores(tx, 'postgres');
      const tenant = stores.forInstance(instance.id);
      await tenant.users.lockById(member.id);
      const now = deps.clock.now();
      const spent =
        (await tenant.accountTokens.consume(linkHash, 'reset', member.id, now)) &&
        (await tenant.accountTokens.consume(recoveryCodeHash(code), 'recovery', member.id, now));
      await stores.throttles.clear([linkKey(linkHash)]);
      return spent;
    });
    expect(await winner.ran).toBe(true);

    const loser = new Client(app).post('/api/v1/auth/reset', { token, password: 'a long new password only I know', recoveryCode: code });
    const loserFlag = settledFlag(loser);
    await until('the loser waits on the winner', async () => {
      if (loserFlag.settled()) throw new Error('the loser finished without waiting for the winner');
      return (await waitingBehind(database.db, winner.pid())) >= 1;
    });
    await winner.commit();

    const answer = await loser;
    expect(answer.statusCode).toBe(403);
    expect(errorCode(answer)).toBe('forbidden');
    expect(Date.now() - began).toBeLessThan(WAIT_LIMIT_MS);
  });
});
