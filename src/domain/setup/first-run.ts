import { randomToken } from '../../crypto/random.ts';
import { sha256Hex } from '../../crypto/hash.ts';
import { DomainError } from '../shared/errors.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import { createInstance, type CreateInstanceInput } from '../instance/create-instance.ts';
import { startSession, type ClientInfo } from '../session/start-session.ts';
import type { LoginStep } from '../login/login-step.ts';

export const SETUP_LINK_TTL_SECONDS = 24 * 60 * 60;

/**
 * On an empty database, a one-time link that creates the first instance and its administrator.
 * Why a random link and no default account: a fresh install must not be claimable by whoever
 * guesses `admin/admin` first (ASVS 6.3.2, PW-13). Returns null once an instance exists.
 */
export async function openFirstRun(deps: Deps): Promise<string | null> {
  if (await deps.stores.instances.any()) return null;
  const token = randomToken(32);
  await deps.stores.setupTokens.replace(sha256Hex(token), addSeconds(deps.clock.now(), SETUP_LINK_TTL_SECONDS));
  // Why a fragment: it never reaches server logs, proxies or Referer headers.
  return new URL(`/setup#token=${token}`, deps.publicUrl).toString();
}

export async function isFirstRunOpen(deps: Deps): Promise<boolean> {
  return !(await deps.stores.instances.any());
}

/** Uses the link once: creates the instance and admin, and logs the admin in. */
export async function completeFirstRun(
  deps: Deps,
  token: string,
  input: CreateInstanceInput,
  client: ClientInfo,
): Promise<{ step: LoginStep; sessionToken: string }> {
  const { instance, admin } = await createInstance(
    deps,
    input,
    async (stores) => {
      // Why inside the transaction: the token is spent only if the instance is really created,
      // and two concurrent submissions cannot both pass (one conditional UPDATE).
      const spent = await stores.setupTokens.consume(sha256Hex(token), deps.clock.now());
      if (!spent || (await stores.instances.any())) {
        throw new DomainError('forbidden', 'This setup link is no longer valid.', { field: 'token' });
      }
    },
    { type: 'system', id: null, label: 'First-run setup link' },
  );
  const sessionToken = await startSession(deps, deps.stores.forInstance(instance.id), admin.id, 'done', client);
  return { step: { next: 'done' }, sessionToken };
}
