import { matchTotpStep } from '../../crypto/totp.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { ipKey, secondFactorKey } from '../throttle/throttle.ts';
import { assertNotThrottled } from '../throttle/check-throttle.ts';
import { recordFailure } from '../throttle/record-failure.ts';
import { secretAssociatedData } from './two-factor.ts';

/**
 * Checks a TOTP code for the session's user: refused unevaluated while locked; a wrong code, or one
 * from a step already used (RFC 6238 §5.2), counts as a failure. Returns the matched time step,
 * which the caller must then consume atomically (a concurrent request may have taken it).
 */
export async function checkTotpCode(deps: Deps, active: ActiveSession, code: string, ip: string | null): Promise<number> {
  const now = deps.clock.now();
  const key = secondFactorKey(active.user.id);
  assertNotThrottled(active.throttles.get(key) ?? null, ip ? (active.throttles.get(ipKey(ip)) ?? null) : null, now);
  const totp = active.totp;
  const secret = totp ? deps.secretBox.open(totp.secretSealed, secretAssociatedData(active.instance.id, active.user.id)) : null;
  const step = secret ? matchTotpStep(secret, code, now) : null;
  if (step === null || step <= totp!.lastUsedStep) {
    await codeRefused(deps, active, ip);
  }
  return step!;
}

/** Counts a refused code and throws the one answer every refused code gets. */
export async function codeRefused(deps: Deps, active: ActiveSession, ip: string | null): Promise<never> {
  await recordFailure(deps, secondFactorKey(active.user.id), ip, {
    user: active.user,
    instance: active.instance,
    factor: 'second_factor',
  });
  throw new DomainError('invalid_credentials', 'That code is not valid. Enter the current code from your authenticator app.', {
    field: 'code',
  });
}
