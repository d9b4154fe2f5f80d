import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { describeTwoFactor, type TwoFactorState } from '../account/describe-me.ts';
import { checkTotpCode, codeRefused } from './check-code.ts';
import { secondFactorKey } from '../throttle/throttle.ts';

/**
 * The My Profile switch (SPEC rule 4). On: the next login asks for setup. Off, with an app
 * associated: only with a current code (a step-up in itself), and it removes the app and the
 * user's known locations.
 */
export async function setTwoFactor(
  deps: Deps,
  sessionToken: string | undefined,
  input: { enabled: boolean; code?: string },
  ip: string | null,
): Promise<TwoFactorState> {
  const active = await loadSessionForStep(deps, sessionToken, ['done'], ip);
  const twoFactor = deps.stores.forInstance(active.instance.id).twoFactor;
  if (input.enabled) {
    if (!active.user.twoFactorEnabled) await twoFactor.setEnabled(active.user.id, true);
    return describeTwoFactor(true, active.totp !== null);
  }
  if (active.totp) {
    if (input.code === undefined) throw new DomainError('invalid_request', 'Enter a current code to turn two-factor authentication off.', { field: 'code' });
    const step = await checkTotpCode(deps, active, input.code, ip);
    const consumed = await twoFactor.consumeStep(active.user.id, step, { clearKeys: [secondFactorKey(active.user.id)], now: deps.clock.now() });
    if (!consumed) await codeRefused(deps, active, ip);
  }
  await twoFactor.setEnabled(active.user.id, false);
  return describeTwoFactor(false, false);
}
