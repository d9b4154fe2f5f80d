import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { randomId } from '../../../src/crypto/random.ts';

describe.each(engines())('SetupTokenStore and OperatorStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  it('consumes a setup token once, never an expired or replaced one', async () => {
    const now = new Date();
    const tokens = deps.stores.setupTokens;
    await tokens.replace('hash-old', addSeconds(now, 60));
    await tokens.replace('hash-new', addSeconds(now, 60));
    expect(await tokens.consume('hash-old', now)).toBe(false);
    expect(await tokens.consume('hash-new', addSeconds(now, 61))).toBe(false);
    expect(await tokens.consume('hash-new', now)).toBe(true);
    expect(await tokens.consume('hash-new', now)).toBe(false);
  });

  it('consumes a token exactly once under concurrent use', async () => {
    const now = new Date();
    await deps.stores.setupTokens.replace('hash-race', addSeconds(now, 60));
    const results = await Promise.all(Array.from({ length: 8 }, () => deps.stores.setupTokens.consume('hash-race', now)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('stores operators outside instances with case-insensitive unique emails', async () => {
    const email = `Op-${randomId()}@Vendor.test`;
    const op = await deps.stores.operators.insert({ id: randomId(), email, name: 'Op', passwordHash: 'x' });
    expect((await deps.stores.operators.findByEmail(email.toLowerCase()))?.id).toBe(op.id);
    const error = await deps.stores.operators
      .insert({ id: randomId(), email: email.toUpperCase(), name: 'Op', passwordHash: 'x' })
      .catch((e) => e);
    expect(error.code).toBe('conflict');
  });
});
