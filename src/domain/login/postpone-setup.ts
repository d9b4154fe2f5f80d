import type { Deps } from '../shared/deps.ts';
import { loadSessionForStep } from './load-login-step.ts';
import { startSession, type ClientInfo } from '../session/start-session.ts';
import type { LoginStep } from './login-step.ts';

/**
 * "Set up later" at the setup step: a full session with the password only. Allowed while the
 * instance does not enforce setup (enforcement arrives with the password policy).
 */
export async function postponeSetup(deps: Deps, sessionToken: string | undefined, client: ClientInfo): Promise<{ step: LoginStep; sessionToken: string }> {
  const active = await loadSessionForStep(deps, sessionToken, ['setup'], null);
  const token = await startSession(deps, deps.stores.forInstance(active.instance.id), active.user.id, 'done', {
    ...client,
    previousSessionId: active.session.id,
  });
  return { step: { next: 'done' }, sessionToken: token };
}
