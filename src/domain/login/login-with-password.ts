import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { emailKey } from '../account/user.ts';
import { normalizePassword } from '../account/password-rules.ts';
import { startSession, type ClientInfo } from '../session/start-session.ts';
import { stepFor, type LoginStep } from './login-step.ts';
import type { LoginStage } from '../session/session.ts';
import type { UserCredentials } from '../account/user.ts';

export interface PasswordLoginInput {
  instance: string;
  email: string;
  password: string;
}

/**
 * Step 1 of login. Unknown instance, unknown email, disabled account and wrong password all end in
 * the same `invalid_credentials` after the same argon2id work (OWASP ASVS 6.3.8, RL-06/RL-07).
 */
export async function loginWithPassword(
  deps: Deps,
  input: PasswordLoginInput,
  client: ClientInfo,
): Promise<{ step: LoginStep; sessionToken: string }> {
  const password = normalizePassword(input.password);
  const found = await deps.stores.credentials.findForLogin(input.instance.trim().toLowerCase(), emailKey(input.email));
  const hash = found?.user.passwordHash;
  const passwordOk = hash ? await deps.hasher.verify(hash, password) : (await deps.hasher.verifyDummy(password), false);
  if (!found || !passwordOk || found.user.status !== 'active') {
    throw new DomainError('invalid_credentials', 'The instance, email or password is not correct.');
  }
  const stage = nextStageAfterPassword(found.user);
  const tenant = deps.stores.forInstance(found.instance.id);
  const sessionToken = await startSession(deps, tenant, found.user.id, stage, client);
  return { step: stepFor(stage), sessionToken };
}

/** What a correct password leads to. Second factors and password rotation add their stages here. */
function nextStageAfterPassword(_user: UserCredentials): LoginStage {
  return 'done';
}
