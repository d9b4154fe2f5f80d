import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { emailKey } from '../account/user.ts';
import { startSession, type ClientInfo } from '../session/start-session.ts';
import { describeStep, stageAfterPassword, type LoginStep } from './login-step.ts';
import { attemptFailed, userOwner } from '../throttle/record-failure.ts';
import { findKnownLocation, networkOf, type PresentedLocation } from '../known-location/known-location.ts';
import { attemptActor, userEvent } from '../audit/audit-event.ts';
import type { Instance } from '../instance/instance.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { passwordStep } from '../auth/password-step.ts';
import { helperFor, helpFor } from '../support/support-contact.ts';

export interface PasswordLoginInput {
  instance: string;
  email: string;
  password: string;
}

/**
 * Step 1 of login. Unknown instance, unknown email and wrong password (a disabled account's too) all end in
 * the same `invalid_credentials` after the same argon2id work (OWASP ASVS 6.3.8, RL-06/RL-07);
 * the throttle key is the (instance, email) pair, so unknown accounts lock exactly like real ones.
 * A disabled account's correct password answers 403 `account_disabled`.
 * Statements: the lookup, the reserved attempt, then the session swap (success) or the failure's
 * log and mail (failure, also for an unknown account).
 */
export async function loginWithPassword(
  deps: Deps,
  input: PasswordLoginInput,
  client: ClientInfo,
): Promise<{ step: LoginStep; sessionToken: string }> {
  const now = deps.clock.now();
  const slug = input.instance.trim().toLowerCase();
  const email = emailKey(input.email);
  const { lookup, attempt, passwordOk, clearKeys } = await passwordStep(
    deps,
    USER_PROFILE.keys.password(slug, email),
    input.password,
    client,
    async (query) => {
      const found = await deps.stores.credentials.findForLogin({ instanceSlug: slug, emailKey: email, ...query });
      return {
        found: found.account !== null,
        passwordHash: found.account?.user.passwordHash ?? null,
        throttles: found.throttles,
        devices: found.locations,
        login: found,
      };
    },
  );
  const { account: found, locations } = lookup.login;
  if (!found || !passwordOk || found.user.status !== 'active') {
    // Only an existing, active account gets an audit event: a typed-in unknown email (often a
    // password in the wrong field) is not kept anywhere.
    const owner =
      found && found.user.status === 'active'
        ? userOwner(
            found.user,
            found.instance,
            'password',
            userEvent(now, 'login.failed', found.instance.id, found.user, client, { factor: 'password' }, attemptActor(found.user)),
            client,
          )
        : null;
    await attemptFailed(deps, attempt, client, owner);
    // Why only after the password was verified (issue 13; OWASP ASVS 5.0 6.3.8): whoever knows
    // the password learns nothing new from "disabled", and everyone else gets the answer an
    // unknown account gets. The attempt still counts on the throttle, so it is no faster oracle.
    if (found && passwordOk) {
      const { role } = found.user;
      throw new DomainError('account_disabled', `This account is disabled. Ask ${helpFor(role, deps.supportContact)} for help.`, {
        reason: helperFor(role) === 'support' ? 'ask_support' : 'ask_administrators',
      });
    }
    throw new DomainError('invalid_credentials', 'The instance, email or password is not correct.');
  }

  const location = knownLocation(found.instance, locations, client);
  const stage = stageAfterPassword(found.instance, found.user, found.associated, location !== null, now);
  const sessionToken = await startSession(deps, deps.stores.forInstance(found.instance.id), found.user.id, stage, client, {
    clearKeys,
    ...(location && stage === 'done' ? { touchLocationId: location.id } : {}),
    ...(stage === 'done'
      ? {
          audit: [
            userEvent(now, 'login.succeeded', found.instance.id, found.user, client, {
              factors: location ? ['password', 'known_location'] : ['password'],
            }),
          ],
        }
      : {}),
  });
  return { step: describeStep(deps, stage, found.instance, found.user, now), sessionToken };
}

/** A presented known-location cookie that may skip the code here (the instance's network rule, SPEC rule 5). */
function knownLocation(instance: Instance, locations: PresentedLocation[], client: ClientInfo): PresentedLocation | null {
  if (!USER_PROFILE.knownLocationSkipsCode) return null;
  return findKnownLocation(client.deviceTokens, locations, networkOf(client.ip), instance.knownLocations.requireSameNetwork);
}
