import type { Deps } from '../shared/deps.ts';
import { normalizePassword } from '../account/password-rules.ts';
import { admitToHasher, reserveAttempt } from '../throttle/check-throttle.ts';
import { deviceKey, ipKey, type ThrottleKey, type ThrottleStates } from '../throttle/throttle.ts';
import { findKnownLocation, type PresentedLocation } from '../known-location/known-location.ts';

/** What a principal's login lookup yields for the shared password step. */
export interface PasswordLookup {
  /** Whether the account exists (its device cookies count only then). */
  found: boolean;
  /** The stored argon2id hash, or null for an unknown (or password-less) account. */
  passwordHash: string | null;
  throttles: ThrottleStates;
  /** The account's unexpired device tokens (known locations, operator devices) among those presented. */
  devices: PresentedLocation[];
}

export interface PasswordClient {
  ip: string | null;
  deviceTokens: Array<{ id: string; secret: string }>;
}

/**
 * Step 1 of every login, for every principal. The hashing queue is asked first, before anything
 * depends on the account (issue 10 item 8); then one lookup and the attempt reserved on the
 * address and on the failure owner's key; then one argon2id verification, a dummy one for an
 * unknown account, so unknown and wrong cost the same (OWASP ASVS 6.3.8, RL-06/RL-07).
 * Why a key of the browser: with a valid device cookie of this account the attempt is the
 * owner's browser, and strangers' failures on the account key must not lock it (RL-04, issue 10
 * item 10). Its own failures lock it; the address limit still applies.
 */
export async function passwordStep<L extends PasswordLookup>(
  deps: Deps,
  accountKey: ThrottleKey,
  password: string,
  client: PasswordClient,
  lookUp: (query: { throttleKeys: ThrottleKey[]; deviceIds: string[]; now: Date }) => Promise<L>,
): Promise<{ lookup: L; attempt: number; passwordOk: boolean; clearKeys: ThrottleKey[] }> {
  const now = deps.clock.now();
  const slot = admitToHasher(deps, client.ip);
  const reserved = await (async () => {
    const ip = client.ip ? [ipKey(client.ip)] : [];
    const lookup = await lookUp({
      throttleKeys: [accountKey, ...ip, ...client.deviceTokens.map((t) => deviceKey(t.id))],
      deviceIds: client.deviceTokens.map((t) => t.id),
      now,
    });
    // The cookie proves the browser on any network; the network only decides whether the code is skipped.
    const device = lookup.found ? findKnownLocation(client.deviceTokens, lookup.devices, '', false) : null;
    const key = device ? deviceKey(device.id) : accountKey;
    return { lookup, key, ip, attempt: await reserveAttempt(deps, key, lookup.throttles, client.ip, now, undefined, 'password') };
  })().catch((error: unknown) => {
    deps.hasher.release(slot);
    throw error;
  });
  const normalized = normalizePassword(password);
  const hash = reserved.lookup.passwordHash;
  const passwordOk = hash ? await deps.hasher.verify(hash, normalized, slot) : (await deps.hasher.verifyDummy(normalized, slot), false);
  return {
    lookup: reserved.lookup,
    attempt: reserved.attempt,
    passwordOk,
    clearKeys: [...new Set([accountKey, reserved.key]), ...reserved.ip],
  };
}
