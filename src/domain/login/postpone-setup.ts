import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { loadSessionForStep } from './load-login-step.ts';
import { startSession, type ClientInfo } from '../session/start-session.ts';
import { describeStep, stageAfterSecondFactor, type LoginStep } from './login-step.ts';
import { userEvent } from '../audit/audit-event.ts';
import { setupDemand } from '../policy/two-factor-rules.ts';

/**
 * "Set up later" at the setup step: a full session with the password only, while the instance
 * allows it (SPEC rule 3: not once enforcement has started or the postponements are used up).
 */
export async function postponeSetup(deps: Deps, sessionToken: string | undefined, client: ClientInfo): Promise<{ step: LoginStep; sessionToken: string }> {
  const active = await loadSessionForStep(deps, sessionToken, ['setup'], null);
  const now = deps.clock.now();
  if (!setupDemand(active.instance.policy, active.user.setupPostponements, now).canPostpone) {
    throw new DomainError('setup_enforced', 'Your organisation requires two-factor authentication: set it up to continue.');
  }
  const stage = stageAfterSecondFactor(active.instance, active.user, now);
  const token = await startSession(deps, deps.stores.forInstance(active.instance.id), active.user.id, stage, { ...client, previousSession: { id: active.session.id, secretHash: active.secretHash } }, {
    countPostponement: true,
    requirePrevious: true,
    ...(stage === 'done' ? { audit: [userEvent(now, 'login.succeeded', active.instance.id, active.user, client, { factors: ['password'], postponedSetup: true })] } : {}),
  });
  return { step: describeStep(stage, active.instance, { ...active.user, setupPostponements: active.user.setupPostponements + 1 }, now), sessionToken: token };
}
