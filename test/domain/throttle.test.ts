import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ACCOUNT_POLICY,
  deviceKey,
  IP_POLICY,
  ipKey,
  isNotableLock,
  lockSeconds,
  operatorPasswordKey,
  operatorSecondFactorKey,
  passwordKey,
  reauthenticationKey,
  retryAfterSeconds,
  sameThrottleKey,
  secondFactorKey,
  throttleMap,
  type ThrottleKey,
} from '../../src/domain/throttle/throttle.ts';

const at = (s: number) => new Date(s * 1000);

describe('the lockout policy', () => {
  it('lets 4 failures pass, then locks for 1, 2, 4 … minutes, at most an hour, and for good at 100', () => {
    expect([1, 2, 3, 4].map((n) => lockSeconds(n, ACCOUNT_POLICY))).toEqual([0, 0, 0, 0]);
    expect([5, 6, 7, 8].map((n) => lockSeconds(n, ACCOUNT_POLICY))).toEqual([60, 120, 240, 480]);
    expect(lockSeconds(30, ACCOUNT_POLICY)).toBe(3600);
    expect(lockSeconds(99, ACCOUNT_POLICY)).toBe(3600);
    expect(lockSeconds(100, ACCOUNT_POLICY)).toBe(Infinity);
  });

  it('never allows more than 100 failures in a row, however patient the attacker', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10 * 24 * 3600 }), { minLength: 1, maxLength: 300 }), (waits) => {
        let failures = 0;
        let last = at(0);
        let now = 0;
        for (const wait of waits) {
          now += wait;
          if (retryAfterSeconds(failures ? { failures, lastFailureAt: last } : null, at(now), ACCOUNT_POLICY) > 0) continue;
          failures += 1;
          last = at(now);
        }
        return failures <= 100;
      }),
    );
  });

  it('counts the wait from the last failure and ends it by itself', () => {
    const state = { failures: 5, lastFailureAt: at(1000) };
    expect(retryAfterSeconds(state, at(1000), ACCOUNT_POLICY)).toBe(60);
    expect(retryAfterSeconds(state, at(1030), ACCOUNT_POLICY)).toBe(30);
    expect(retryAfterSeconds(state, at(1060), ACCOUNT_POLICY)).toBe(0);
  });

  it('never locks below the first locking failure, even with a last failure a little after now', () => {
    // Two processes, or a concurrent attempt that wrote after this one read the clock (issue 11).
    expect(retryAfterSeconds({ failures: 0, lastFailureAt: at(1001) }, at(1000), ACCOUNT_POLICY)).toBe(0);
    expect(retryAfterSeconds({ failures: 4, lastFailureAt: at(1001) }, at(1000), IP_POLICY)).toBe(0);
    expect(retryAfterSeconds({ failures: 5, lastFailureAt: at(1001) }, at(1000), ACCOUNT_POLICY)).toBe(61);
  });

  it('forgets an address after an hour of quiet, never an account', () => {
    expect(retryAfterSeconds({ failures: 60, lastFailureAt: at(0) }, at(3600), IP_POLICY)).toBe(0);
    expect(retryAfterSeconds({ failures: 100, lastFailureAt: at(0) }, at(365 * 24 * 3600), ACCOUNT_POLICY)).toBe(Infinity);
  });

  it('tells the user at the first lock and at the hard limit only', () => {
    const notable = Array.from({ length: 120 }, (_, i) => i + 1).filter((n) => isNotableLock(n, ACCOUNT_POLICY));
    expect(notable).toEqual([5, 100]);
  });
});

describe('throttle keys', () => {
  it('names each counter by its columns, built only by the named constructors', () => {
    expect(passwordKey('acme', 'ada@acme.test')).toEqual({ scope: 'password', instanceSlug: 'acme', subject: 'ada@acme.test' });
    expect(secondFactorKey('u1')).toEqual({ scope: 'second_factor', instanceSlug: null, subject: 'u1' });
    expect(ipKey('::ffff:192.0.2.1')).toEqual({ scope: 'address', instanceSlug: null, subject: '192.0.2.1' });
    // A user's and an operator's keys of the same subject are different counters.
    expect(sameThrottleKey(secondFactorKey('x'), operatorSecondFactorKey('x'))).toBe(false);
    expect(sameThrottleKey(passwordKey('acme', 'a@b.test'), operatorPasswordKey('a@b.test'))).toBe(false);
    // @ts-expect-error: an object literal is not a ThrottleKey (only the constructors make one)
    const literal: ThrottleKey = { scope: 'device', instanceSlug: null, subject: 'd1' };
    expect(sameThrottleKey(literal, deviceKey('d1'))).toBe(true);
  });

  it('finds a state by the key’s parts, whichever object carries them', () => {
    const states = throttleMap([
      [
        { scope: 'reauth', instanceSlug: null, subject: 's1' },
        { failures: 3, lastFailureAt: at(0) },
      ],
    ]);
    expect(states.get(reauthenticationKey('s1'))?.failures).toBe(3);
    expect(states.get(deviceKey('s1'))).toBeUndefined();
  });
});
