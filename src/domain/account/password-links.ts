import { randomToken } from '../../crypto/random.ts';
import { sha256Hex } from '../../crypto/hash.ts';
import { DomainError } from '../shared/errors.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import type { User } from './user.ts';
import type { Instance } from '../instance/instance.ts';
import { emailKey, parseEmail } from './user.ts';
import { checkPasswordForAccount, isReusedPassword, minPasswordLength } from './password-rules.ts';
import { helpFor } from '../support/support-contact.ts';
import { adminRecoveryMail, instanceLoginUrl, invitationMail, passwordResetMail, passwordResetRefusedMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { isTwoFactorEnabled } from '../policy/two-factor-rules.ts';
import { checkSecondFactor, consumeSecondFactor } from '../totp/check-code.ts';
import { linkKey, passwordKey, secondFactorKey } from '../throttle/throttle.ts';
import { POLICY_LIMITS } from '../policy/policy.ts';
import { signOutEverywhere } from './change-password.ts';
import { userEvent } from '../audit/audit-event.ts';
import { countLinkRefusal, refuseLockedAddress, reserveLinkAttempt } from './link-throttle.ts';
import type { ResetRequest } from './reset-request-store.ts';
import type { SealedMail } from '../mail/mail.ts';

export const INVITATION_SECONDS = 7 * 24 * 60 * 60;
export const RESET_SECONDS = 60 * 60;
export const RESET_INTERVAL_SECONDS = 5 * 60;

/** A single-use link; only its SHA-256 is stored, and the token sits in the URL fragment (never logged). */
export function newLink(deps: Deps, page: 'invite' | 'reset', instanceSlug: string): { token: string; hash: string; url: string } {
  const token = randomToken(32);
  // The instance is in the query (the page needs it to offer the right login); the token only in the fragment.
  const url = new URL(`/${page}?instance=${encodeURIComponent(instanceSlug)}#token=${token}`, deps.publicUrl).toString();
  return { token, hash: sha256Hex(token), url };
}

/**
 * Queues the invitation mail of a user without a password (a link to choose one, valid 7 days,
 * replacing any earlier unused invitation, and the instance's login address), in the caller's
 * transaction when it has one.
 */
export async function sendInvitation(deps: Deps, instance: Instance, user: Pick<User, 'id' | 'email' | 'name'>): Promise<void> {
  const invitation = newInvitation(deps, instance, user);
  const now = deps.clock.now();
  await deps.stores.accountTokens.issue(user.id, 'invitation', invitation.tokenHash, now, addSeconds(now, INVITATION_SECONDS));
  await deps.stores.outbox.enqueue(instance.id, invitation.mail, now);
  deps.mailQueued();
}

/** An invitation not yet stored: its link's SHA-256 (to store) and its mail, sealed (to queue). */
export interface PreparedInvitation {
  userId: string;
  tokenHash: string;
  mail: SealedMail;
}

/** The invitation sendInvitation sends, built without touching the database (a user import prepares a batch's ahead). */
export function newInvitation(deps: Deps, instance: Instance, user: Pick<User, 'id' | 'email' | 'name'>): PreparedInvitation {
  const link = newLink(deps, 'invite', instance.slug);
  const mail = invitationMail({
    to: user.email,
    name: user.name,
    instanceName: instance.name,
    url: link.url,
    days: INVITATION_SECONDS / 86400,
    loginUrl: instanceLoginUrl(deps.publicUrl, instance.slug),
  });
  return { userId: user.id, tokenHash: link.hash, mail: sealMail(deps.secretBox, mail) };
}

/**
 * Stores and queues invitations of users created in the caller's transaction (a user import):
 * one statement for all the tokens and one for all the mails instead of several per user (issue
 * 16: 100,000 users at ≥ 5,000/s). The caller wakes the mail worker once it has committed.
 */
export async function queueInvitationsOfNewUsers(
  deps: Deps,
  instance: Instance,
  invitations: readonly PreparedInvitation[],
): Promise<void> {
  const now = deps.clock.now();
  await deps.stores
    .forInstance(instance.id)
    .accountTokens.insertForNewUsers(invitations, 'invitation', now, addSeconds(now, INVITATION_SECONDS));
  await deps.stores.outbox.enqueueMany(
    instance.id,
    invitations.map((invitation) => invitation.mail),
    now,
  );
}

/**
 * "Forgot password": the same answer whether or not the account exists (RL-06), and the same
 * work. Why a queue: the link and its mail cost work only for existing accounts; done in the
 * request's process right after the answer, that work delayed the next request, and a cheap
 * request after the 204 told existing accounts apart (RL-07, issue 10 item 11). The request now
 * does one identical insert for any well-formed address, and processPasswordResetRequests turns
 * it into a link later, off the request's path and not tied in time to it.
 */
export async function requestPasswordReset(deps: Deps, input: { instance: string; email: string }): Promise<void> {
  let email: string;
  try {
    email = parseEmail(input.email);
  } catch {
    return;
  }
  await deps.stores.resetRequests.insert({
    instanceSlug: input.instance.trim().toLowerCase(),
    emailKey: emailKey(email),
    requestedAt: deps.clock.now(),
  });
}

/**
 * The background half of "forgot password" (run by the outbox worker's loop): takes queued
 * requests and, for an active account, issues a link valid one hour and queues its mail. Each
 * batch is one transaction with the requests' deletion, so a process that dies midway leaves
 * them queued for the next run, and nothing is sent twice. Returns how many were handled.
 */
export async function processPasswordResetRequests(deps: Deps, limit = 20): Promise<number> {
  const handled = await deps.stores.transaction(async (stores) => {
    const requests = await stores.resetRequests.claim(limit);
    for (const request of requests) await sendResetLink({ ...deps, stores }, request);
    await stores.resetRequests.delete(requests.map((r) => r.id));
    return requests.length;
  });
  if (handled > 0) deps.mailQueued();
  return handled;
}

/** One queued request, inside the batch's transaction. */
async function sendResetLink(deps: Deps, request: ResetRequest): Promise<void> {
  const now = deps.clock.now();
  const found = (
    await deps.stores.credentials.findForLogin({
      instanceSlug: request.instanceSlug,
      emailKey: request.emailKey,
      throttleKeys: [],
      deviceIds: [],
      now,
    })
  ).account;
  if (!found) return;
  // The account as it is behind the user's row lock: a password change or a 2FA reset committing
  // meanwhile is what the checks below see.
  const tenant = deps.stores.forInstance(found.instance.id);
  const account = (await tenant.users.lockById(found.user.id)) && (await tenant.users.findAccount(found.user.id));
  if (!account || account.user.status !== 'active') return;
  const user = account.user;
  // A password changed since the request ends it, as it ends issued links (issue 10 item 13): a
  // request still queued then must not become a live link afterwards.
  const changedAt = user.passwordChangedAt;
  if (changedAt && changedAt.getTime() > request.requestedAt.getTime()) return;
  // RL-09: at most one reset mail per account every few minutes, whoever asks.
  const lastIssuedAt = await deps.stores.accountTokens.lastIssuedAt(user.id, 'reset');
  if (lastIssuedAt && lastIssuedAt.getTime() > addSeconds(now, -RESET_INTERVAL_SECONDS).getTime()) return;
  const link = newLink(deps, 'reset', account.instance.slug);
  const needsAdministrator = resetNeedsAdministrator(account.instance.policy, user, account.totp !== null);
  // A recovery an administrator started: a new link still needs their code, so it may be mailed (and lives as long as the code).
  const recoveryUntil = needsAdministrator ? await deps.stores.accountTokens.activeUntil(user.id, 'recovery', now) : null;
  const expiresAt = recoveryUntil ?? addSeconds(now, RESET_SECONDS);
  await deps.stores.accountTokens.issue(user.id, 'reset', link.hash, now, expiresAt);
  const to = { to: user.email, name: user.name, instanceName: account.instance.name };
  // The token is stored either way (the flood guard above counts it), but mailed only when it may be used.
  const mail = !needsAdministrator
    ? passwordResetMail({ ...to, url: link.url })
    : recoveryUntil
      ? adminRecoveryMail({ ...to, url: link.url, adminName: null, at: now, expiresAt })
      : passwordResetRefusedMail({ ...to, help: helpFor(user.role, deps.supportContact) });
  await deps.stores.outbox.enqueue(account.instance.id, sealMail(deps.secretBox, mail), now);
}

/** The stored form of an administrator's recovery code: SHA-256 without spaces and dashes, upper-case (80 random bits need no salt). */
export function recoveryCodeHash(code: string): string {
  return sha256Hex(`recovery:${code.normalize('NFKC').toUpperCase().replace(/[\s-]/g, '')}`);
}

/**
 * Why (SPEC rule 13, issue 10 item 3, checklist BC-09): a user whose 2FA is enabled but who has
 * no app yet (after an admin or support reset, or pending under auto-enable) would reach setup
 * with the password alone, so a reset link would let the mailbox alone choose the password and
 * bind an app. Such a user logs in with the password they know and sets up.
 */
export function resetNeedsAdministrator(policy: Instance['policy'], user: Pick<User, 'twoFactorEnabled'>, associated: boolean): boolean {
  return isTwoFactorEnabled(policy, user) && !associated;
}

/**
 * Sets a password with an invitation or reset link. Never logs in and never turns 2FA off (SPEC
 * rule 13). For a user whose 2FA is active a current authenticator code is required too, and a
 * backup code is not accepted: both would come from the same mailbox.
 */
export async function setPasswordWithLink(
  deps: Deps,
  purpose: 'invitation' | 'reset',
  input: { token: string; password: string; code?: string; recoveryCode?: string },
  client: { ip: string | null; userAgent: string | null },
): Promise<void> {
  const now = deps.clock.now();
  await refuseLockedAddress(deps, client.ip, now);
  try {
    await setPasswordWithOpenLink(deps, purpose, input, client, now);
  } catch (error) {
    await countLinkRefusal(deps, error, client.ip, now);
    throw error;
  }
}

/**
 * What the link page shows before the password is chosen (POST /auth/password-link): the
 * effective minimum length for this account (item 18). The same refusals as using the link.
 */
export async function describePasswordLink(
  deps: Deps,
  purpose: 'invitation' | 'reset',
  token: string,
  ip: string | null,
): Promise<{ passwordMinLength: number; recoveryCodeRequired?: true }> {
  const now = deps.clock.now();
  await refuseLockedAddress(deps, ip, now);
  try {
    const { account, needsRecoveryCode } = await openLink(deps, purpose, sha256Hex(token), now);
    return {
      passwordMinLength: minPasswordLength(account.instance.policy, { user: account.user, associated: account.totp !== null }, now),
      // Only when true, so the answer stays as it was for every other link.
      ...(needsRecoveryCode ? { recoveryCodeRequired: true } : {}),
    };
  } catch (error) {
    await countLinkRefusal(deps, error, ip, now);
    throw error;
  }
}

export interface LinkStatus {
  /** `used`: the password was chosen with it; `expired`: past its time. Either way nothing can be done with it. */
  state: 'valid' | 'used' | 'expired';
  email: string;
  instance: { slug: string; name: string };
  /** The instance's login page (SPEC §6). */
  loginUrl: string;
  passwordMinLength?: number;
  recoveryCodeRequired?: true;
}

/**
 * POST /auth/link-status (issue 13): what the link page says when it opens, before anything is
 * typed, without spending the link: whose account and which instance it is for, and whether it
 * was used or has expired. Only the holder of the token (the mailbox it was sent to) learns the
 * address. A token that never existed or was replaced is 403 `forbidden` and counts as a refused
 * attempt of the client's address, as on the other link routes, so guessing stays throttled.
 */
export async function inspectPasswordLink(
  deps: Deps,
  purpose: 'invitation' | 'reset',
  token: string,
  ip: string | null,
): Promise<LinkStatus> {
  const now = deps.clock.now();
  await refuseLockedAddress(deps, ip, now);
  const hash = sha256Hex(token);
  const found = await deps.stores.accountTokens.inspect(hash, purpose);
  const account = found ? await deps.stores.forInstance(found.instanceId).users.findAccount(found.userId) : null;
  if (!found || !account) {
    await countLinkRefusal(deps, linkGone(), ip, now);
    throw linkGone();
  }
  const { user, instance } = account;
  const named = {
    email: user.email,
    instance: { slug: instance.slug, name: instance.name },
    loginUrl: instanceLoginUrl(deps.publicUrl, instance.slug),
  };
  if (found.usedAt) return { state: 'used', ...named };
  if (found.expiresAt.getTime() <= now.getTime()) return { state: 'expired', ...named };
  return { state: 'valid', ...named, ...(await describePasswordLink(deps, purpose, token, ip)) };
}

/** The answer for every link that cannot be used (spent, expired, replaced, unknown, or its account gone). */
const linkGone = () => new DomainError('forbidden', 'This link is no longer valid. Ask for a new one.', { field: 'token' });

/**
 * The active account a valid link belongs to; forbidden otherwise. `needsRecoveryCode`: a reset
 * link of a user with 2FA enabled and no app, which works only with an administrator's code.
 */
async function openLink(deps: Deps, purpose: 'invitation' | 'reset', hash: string, now: Date) {
  const found = await deps.stores.accountTokens.find(hash, purpose, now);
  if (!found) throw linkGone();
  const account = await deps.stores.forInstance(found.instanceId).users.findAccount(found.userId);
  if (!account || account.user.status !== 'active') throw linkGone();
  // An invitation stays usable: the administrator created the account for that mailbox.
  const needsRecoveryCode = purpose === 'reset' && resetNeedsAdministrator(account.instance.policy, account.user, account.totp !== null);
  return { found, account, needsRecoveryCode };
}

/**
 * The administrator's recovery code for this user (issue 10 item 3): the second channel, without
 * which the mailed link does nothing (SPEC rule 13). Checked after the link's attempt is counted,
 * so guessing codes spends the link (LINK_POLICY), and before any hashing. A wrong code must leave
 * the link usable for another try until its throttle ends it, so this check cannot spend the link
 * first: it is serialised with the spend instead.
 *
 * Why the check reads the link again behind its row lock: the link is the thing a reset spends,
 * and the code is only worth checking while the link it came with is unspent. A submission of the
 * same link and code that is winning holds the link's row from its spend until it commits (the
 * transaction in setPasswordWithOpenLink spends the link first); this check waits for it and then
 * finds the link spent, and answers as every spent link does (403 forbidden), not "enter the
 * recovery code", which would ask for a code that can no longer help. Checked before the winner's
 * spend, the loser goes on and fails on the link's single-use update instead (the same answer).
 * Link first, then code, here and in the spend: the two never wait on each other crosswise.
 */
async function requireRecoveryCode(
  deps: Deps,
  link: { purpose: 'invitation' | 'reset'; hash: string },
  userId: string,
  code: string | undefined,
  now: Date,
): Promise<string> {
  const refused = () =>
    new DomainError(
      'admin_recovery_required',
      'Enter the recovery code your administrator gave you. Without it this link cannot reset your password.',
      { field: 'recoveryCode' },
    );
  return deps.stores.transaction(async (stores) => {
    if (!(await stores.accountTokens.findLocked(link.hash, link.purpose, now))) throw linkGone();
    if (!code) throw refused();
    const hash = recoveryCodeHash(code);
    const found = await stores.accountTokens.find(hash, 'recovery', now);
    if (!found || found.userId !== userId) throw refused();
    return hash;
  });
}

async function setPasswordWithOpenLink(
  deps: Deps,
  purpose: 'invitation' | 'reset',
  input: { token: string; password: string; code?: string; recoveryCode?: string },
  client: { ip: string | null; userAgent: string | null },
  now: Date,
): Promise<void> {
  const hash = sha256Hex(input.token);
  const { account, needsRecoveryCode } = await openLink(deps, purpose, hash, now);
  // Every attempt with a real link counts, before anything that hashes (issue 10 item 9).
  await reserveLinkAttempt(deps, hash, now);
  const recoveryHash = needsRecoveryCode
    ? await requireRecoveryCode(deps, { purpose, hash }, account.user.id, input.recoveryCode, now)
    : undefined;
  const { user, instance } = account;
  // The password is checked first, so a refused password does not use up the authenticator code.
  const password = checkPasswordForAccount(
    input.password,
    {
      minLength: minPasswordLength(instance.policy, { user, associated: account.totp !== null }, now),
      blocklist: deps.blocklist,
      context: [user.email, user.name, instance.slug, instance.name],
    },
    'password',
  );
  // Every check of the new password comes before the code, so a refused password does not spend it.
  const previous = await deps.stores.forInstance(instance.id).passwords.findHashes(user.id, instance.policy.password.historyCount);
  if (await isReusedPassword(deps.hasher, [previous?.current, ...(previous?.previous ?? [])], password)) {
    throw new DomainError('password_reused', 'Choose a password you have not used recently.', { field: 'password' });
  }
  if (isTwoFactorEnabled(instance.policy, user) && account.totp) {
    if (!input.code) throw new DomainError('invalid_request', 'Enter the current code from your authenticator app.', { field: 'code' });
    const throttles = await deps.stores.throttles.find([secondFactorKey(user.id)]);
    // A TOTP code only: the backup code arrives by email, like this link (SPEC rule 13).
    const checked = await checkSecondFactor(deps, { ...account, throttles }, { code: input.code }, client, 'password_reset');
    await consumeSecondFactor(deps, { ...account, throttles }, checked, {}, client);
  }
  const passwordHash = await deps.hasher.hash(password);
  const via = purpose === 'invitation' ? 'invitation' : recoveryHash ? 'admin_recovery' : 'reset_link';
  await deps.stores.transaction(async (stores) => {
    const tenant = stores.forInstance(instance.id);
    await tenant.users.lockById(user.id);
    // Why single-use updates in one transaction: the link works once even when submitted twice
    // at the same moment. The link is spent first (a loser fails on it, as on any spent link),
    // then the recovery code (issue 10 item 3) with it, and the link only with it: a code refused
    // after the link was spent rolls the link back, so two submissions at once, or one code with
    // two links, set one password at most.
    const spent =
      (await tenant.accountTokens.consume(hash, purpose, user.id, now)) &&
      (recoveryHash === undefined || (await tenant.accountTokens.consume(recoveryHash, 'recovery', user.id, now)));
    if (!spent) throw linkGone();
    await tenant.passwords.replace(user.id, passwordHash, now, POLICY_LIMITS.historyCount.max);
    // Never touches 2FA (SPEC rule 13); ends what a password change ends.
    await signOutEverywhere(tenant, user.id);
    // A successful reset proves the mailbox (and, with 2FA, the app), so it also lifts the
    // account's lockout: a lock caused by strangers can always be ended by its owner.
    await stores.throttles.clear([passwordKey(instance.slug, emailKey(user.email)), secondFactorKey(user.id), linkKey(hash)]);
    // Accepting an invitation is the account's first password, not a reset (issue 13): its own action.
    const action = purpose === 'invitation' ? 'invitation.accepted' : 'password.reset';
    await stores.audit.record([userEvent(now, action, instance.id, user, client, { via })]);
  });
}
