import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { emailKey } from '../account/user.ts';
import { normalizePassword } from '../account/password-rules.ts';
import { startSession, type ClientInfo } from '../session/start-session.ts';
import { describeStep, stageAfterPassword, type LoginStep } from './login-step.ts';
import { deviceKey, ipKey, passwordKey, type ThrottleKey } from '../throttle/throttle.ts';
import { admitToHasher, reserveAttempt } from '../throttle/check-throttle.ts';
import { attemptFailed, userOwner } from '../throttle/record-failure.ts';
import { findKnownLocation, networkOf, type PresentedLocation } from '../known-location/known-location.ts';
import type { LoginLookup } from './credential-store.ts';
import { attemptActor, userEvent } from '../audit/audit-event.ts';

export interface PasswordLoginInput {
  instance: string;
  email: string;
  password: string;
}

/**
 * Step 1 of login. Unknown instance, unknown email, disabled account and wrong password all end in
 * the same `invalid_credentials` after the same argon2id work (OWASP ASVS 6.3.8, RL-06/RL-07);
 * the throttle key is the (instance, email) pair, so unknown accounts lock exactly like real ones.
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
  const accountKey = passwordKey(slug, emailKey(input.email));
  // The hashing queue is asked first, before anything depends on the account (item 8).
  const slot = admitToHasher(deps, client.ip);
  const { lookup, key, attempt } = await lookUpAndReserve(deps, slug, emailKey(input.email), accountKey, client, now).catch((error: unknown) => {
    deps.hasher.release(slot);
    throw error;
  });

  const password = normalizePassword(input.password);
  const found = lookup.account;
  const hash = found?.user.passwordHash;
  const passwordOk = hash ? await deps.hasher.verify(hash, password, slot) : (await deps.hasher.verifyDummy(password, slot), false);
  if (!found || !passwordOk || found.user.status !== 'active') {
    // Only an existing, active account gets an audit event: a typed-in unknown email (often a
    // password in the wrong field) is not kept anywhere.
    const owner =
      found && found.user.status === 'active'
        ? userOwner(found.user, found.instance, 'password', userEvent(now, 'login.failed', found.instance.id, found.user, client, { factor: 'password' }, attemptActor(found.user)), client)
        : null;
    await attemptFailed(deps, attempt, client, owner);
    throw new DomainError('invalid_credentials', 'The instance, email or password is not correct.');
  }

  const location = knownLocation(lookup, client);
  const stage = stageAfterPassword(found.instance, found.user, found.associated, location !== null, now);
  const sessionToken = await startSession(deps, deps.stores.forInstance(found.instance.id), found.user.id, stage, client, {
    clearKeys: [...new Set([accountKey, key]), ...(client.ip ? [ipKey(client.ip)] : [])],
    ...(location && stage === 'done' ? { touchLocationId: location.id } : {}),
    ...(stage === 'done'
      ? { audit: [userEvent(now, 'login.succeeded', found.instance.id, found.user, client, { factors: location ? ['password', 'known_location'] : ['password'] })] }
      : {}),
  });
  return { step: describeStep(stage, found.instance, found.user, now), sessionToken };
}

/** The login lookup, then the attempt reserved on the address and on the account's (or the browser's) key. */
async function lookUpAndReserve(deps: Deps, slug: string, email: string, accountKey: ThrottleKey, client: ClientInfo, now: Date) {
  const lookup = await deps.stores.credentials.findForLogin({
    instanceSlug: slug,
    emailKey: email,
    throttleKeys: [accountKey, ...(client.ip ? [ipKey(client.ip)] : []), ...client.deviceTokens.map((t) => deviceKey(t.id))],
    deviceIds: client.deviceTokens.map((t) => t.id),
    now,
  });
  // Why a key of the browser: with a valid known-location cookie of this account the attempt is
  // the owner's browser, and strangers' failures on the account key must not lock it (RL-04,
  // issue 10 item 10). Its own failures lock it; the address limit still applies.
  const device = trustedDevice(lookup, client);
  const key = device ? deviceKey(device.id) : accountKey;
  return { lookup, key, attempt: await reserveAttempt(deps, key, lookup.throttles, client.ip, now) };
}

/**
 * A presented trusted-device cookie of this account whose secret matches, on any network: the
 * cookie proves the browser, the network only decides whether the code is skipped.
 */
function trustedDevice(lookup: LoginLookup, client: ClientInfo): PresentedLocation | null {
  return lookup.account ? findKnownLocation(client.deviceTokens, lookup.locations, '', false) : null;
}

function knownLocation(lookup: LoginLookup, client: ClientInfo): PresentedLocation | null {
  const settings = lookup.account!.instance.knownLocations;
  return findKnownLocation(client.deviceTokens, lookup.locations, networkOf(client.ip), settings.requireSameNetwork);
}
