import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { enrolTotp } from '../support/two-factor.ts';

const CODE_LINE = /^Backup code: (\S+)$/m;

// BC-03: redeeming is one compare-and-replace statement; of 20 concurrent uses exactly one wins,
// and exactly one replacement mail is queued.
describe.each(engines())('20 concurrent uses of one backup code on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  it('let exactly one login through, over three rounds', async () => {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(owner, deps);
    for (let round = 1; round <= 3; round += 1) {
      const mails = (await deliveredTo(deps, admin.email)).filter((m) => CODE_LINE.test(m.text));
      expect(mails).toHaveLength(round);
      const code = CODE_LINE.exec(mails.at(-1)!.text)![1]!;
      const clients: Client[] = [];
      for (let i = 0; i < 20; i += 1) {
        const c = new Client(app);
        expect((await c.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
        clients.push(c);
      }
      const results = await Promise.all(clients.map((c) => c.post('/api/v1/auth/verify', { backupCode: code })));
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode !== 200).every((r) => ['invalid_credentials', 'locked'].includes(errorCode(r)!))).toBe(
        true,
      );
      // The losers counted as failures: let the lock pass before the next round.
      deps.clock.advanceSeconds(3601);
    }
  });
});
