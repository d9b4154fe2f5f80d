import { DomainError, invalidInput } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import type { User } from '../account/user.ts';
import type { Instance } from '../instance/instance.ts';
import { requireAdmin } from '../instance/require-admin.ts';
import { isTwoFactorEnabled } from '../policy/two-factor-rules.ts';
import { isFresh } from '../totp/two-factor.ts';
import { secondFactorKey } from '../throttle/throttle.ts';
import { adminResetNoticeMail, loginUrl, twoFactorResetMail, type ResetBy } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { operatorActor, userActor, userEvent, type AuditActor, type AuditClient } from '../audit/audit-event.ts';
import { getInstanceBySlug } from '../account/find-instance.ts';

import { VERIFICATION_METHODS, type VerificationMethod } from './verification-method.ts';
import { supportContactText } from '../support/support-contact.ts';

// A leaf module, so the API contract (and the web's types) can name the methods without this use-case.
export { VERIFICATION_METHODS, type VerificationMethod };

export const VERIFICATION_METHOD_NAMES: Record<VerificationMethod, string> = {
  admin_confirmation: 'confirmation by another administrator of the instance',
  contract_contact: "confirmation by the customer's contract or billing contact in the vendor's records",
  phone_callback: "a call back on a phone number from the vendor's customer records",
  video_call: "a video call, matching an official ID to the account's name",
  id_document: 'an identity document',
  other: 'another method (see the notes in the audit log)',
};

export interface Verification {
  method: VerificationMethod;
  reference: string;
  notes: string | null;
}

/**
 * The verification record a support reset needs. Why required and kept: a reset on the strength
 * of a phone call is the classic social-engineering path around 2FA (ADM-06); the record makes
 * each one accountable after the fact.
 */
export function parseVerification(raw: unknown): Verification {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw invalidInput('verification', 'Record how the identity was verified.');
  const input = raw as Record<string, unknown>;
  const method = input.method;
  if (typeof method !== 'string' || !(VERIFICATION_METHODS as readonly string[]).includes(method)) {
    throw invalidInput('verification.method', `Choose how the identity was verified: ${VERIFICATION_METHODS.join(', ')}.`);
  }
  const reference = typeof input.reference === 'string' ? recordText(input.reference, false) : '';
  if (reference === null || !hasVisible(reference) || reference.length > 200) {
    throw invalidInput(
      'verification.reference',
      'Enter a reference such as the ticket id (at most 200 characters, no control characters).',
    );
  }
  const notes =
    typeof input.notes === 'string' ? recordText(input.notes, true) : input.notes === undefined || input.notes === null ? '' : null;
  if (notes === null || notes.length > 2000)
    throw invalidInput('verification.notes', 'Notes are text of at most 2000 characters, without control characters.');
  if (method === 'other' && !hasVisible(notes)) throw invalidInput('verification.notes', 'Describe how the identity was verified.');
  return { method: method as VerificationMethod, reference, notes: hasVisible(notes) ? notes : null };
}

const INVISIBLE = /[\p{Cf}\p{Cc}\p{Z}]/gu;
const EDGES = /^[\p{Cf}\p{Cc}\p{Z}]+|[\p{Cf}\p{Cc}\p{Z}]+$/gu;
/** Control characters, and the bidirectional overrides and isolates that make text read other than it is stored. */
const CONTROLS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
const CONTROLS_BUT_LINES = /[\p{Cc}\u202a-\u202e\u2066-\u2069](?<![\n\t])/u;

/**
 * Text for the verification record, NFC and without invisible characters at its ends; null when
 * it holds control characters (notes: line breaks and tabs allowed). Why: a reference of U+200B
 * looks filled in and records nothing (issue 10 item 16; Unicode TR 36 on invisible characters).
 */
function recordText(raw: string, multiline: boolean): string | null {
  const text = raw.normalize('NFC').replace(EDGES, '');
  return (multiline ? CONTROLS_BUT_LINES : CONTROLS).test(text) ? null : text;
}

/** Whether something visible is left once format, control and space characters are removed. */
function hasVisible(text: string): boolean {
  return text.replace(INVISIBLE, '').length > 0;
}

interface ResetRequest {
  instance: Instance;
  actor: AuditActor;
  by: ResetBy;
  client: AuditClient;
  details: Record<string, unknown>;
  /** Also tell the instance's other administrators (the reset of an administrator), with how support verified who asked. */
  noticeAdmins: { verifiedBy: Verification | null } | null;
}

/**
 * Runs a reset of `userId` (SPEC rules 8 and 9) as one transaction. The target's row is locked
 * first and read again behind the lock, and `decide` sees the target as it is then (its role,
 * whether it has an app) and returns the reset to do, or throws to refuse. Why behind the lock: a
 * role change or an enrolment committed meanwhile must be what the decision sees (issue 10: a
 * demote, reset and promote; ADM-03). With `actingAdminId`, that administrator must still be one
 * when the transaction runs. Returns the target as reset.
 */
async function resetTwoFactor(
  deps: Deps,
  instance: Instance,
  userId: string,
  decide: (account: { user: User; hasApp: boolean }) => ResetRequest,
  actingAdminId: string | null = null,
): Promise<User> {
  const target = await deps.stores.transaction(async (stores) => {
    const tenant = stores.forInstance(instance.id);
    // The administrator's role as it is now, not as their session loaded it: a demotion or a
    // disable committed meanwhile wins (OWASP ASVS 5.0 V2.3, business logic under concurrent
    // requests). The administrators' rows first and in id order, as manage-users.ts takes them, so
    // the two queue instead of deadlocking.
    if (actingAdminId !== null && !(await tenant.users.lockActiveAdmins()).includes(actingAdminId)) {
      throw new DomainError('forbidden', 'Only administrators can do this.');
    }
    const locked = (await tenant.users.lockById(userId)) && (await tenant.users.findAccount(userId));
    if (!locked) throw new DomainError('not_found', 'No such user in this instance.');
    const request = decide({ user: locked.user, hasApp: locked.totp !== null });
    await removeSecondFactor({ ...deps, stores }, locked.user, request);
    return locked.user;
  });
  deps.mailQueued();
  return target;
}

/**
 * The effects of every reset, inside the caller's transaction, so a crash leaves none of them
 * half done (ADM-05): the app, the backup code, the known locations and every session go, the
 * second-factor lock is lifted, the mails are queued and the audit event is written. `enabled`
 * stays, so the next login asks for setup again.
 */
async function removeSecondFactor(deps: Deps, target: User, request: ResetRequest): Promise<void> {
  const { instance, client } = request;
  const now = deps.clock.now();
  const tenant = deps.stores.forInstance(instance.id);
  await tenant.twoFactor.deleteAuthenticator(target.id);
  await tenant.twoFactor.deleteBackupCode(target.id);
  await tenant.knownLocations.deleteAllForUser(target.id);
  await tenant.sessions.deleteForUser(target.id);
  await deps.stores.throttles.clear([secondFactorKey(target.id)]);
  const notice = {
    to: target.email,
    name: target.name,
    instanceName: instance.name,
    at: now,
    ip: client.ip,
    by: request.by,
    loginUrl: loginUrl(deps.publicUrl, instance.slug),
    stillEnabled: isTwoFactorEnabled(instance.policy, target),
    supportContact: supportContactText(deps.supportContact),
  };
  await deps.stores.outbox.enqueue(instance.id, sealMail(deps.secretBox, twoFactorResetMail(notice)), now);
  if (request.noticeAdmins) {
    const verifiedBy = request.noticeAdmins.verifiedBy;
    const method = verifiedBy ? VERIFICATION_METHOD_NAMES[verifiedBy.method] : null;
    for (const admin of await tenant.users.listAdmins(100)) {
      // Not the target (told above) and not the administrator who did it.
      if (admin.id === target.id || (request.actor.type === 'user' && admin.id === request.actor.id)) continue;
      const mail = adminResetNoticeMail({
        to: admin.email,
        name: admin.name,
        instanceName: instance.name,
        at: now,
        ip: client.ip,
        by: request.by,
        target,
        method,
        supportContact: supportContactText(deps.supportContact),
      });
      await deps.stores.outbox.enqueue(instance.id, sealMail(deps.secretBox, mail), now);
    }
  }
  await deps.stores.audit.record([userEvent(now, 'two_factor.reset', instance.id, target, client, request.details, request.actor)]);
}

/**
 * POST /admin/users/{id}/two-factor/reset (SPEC rule 8). An administrator resets a user of their
 * own instance, never themselves: their own recovery goes through support, so a stolen admin
 * session cannot reset the admin's own factor and enrol the thief's (ADM-03). Resetting another
 * administrator is allowed, but every other administrator is told, as with support's resets.
 */
export async function resetByAdmin(
  deps: Deps,
  active: ActiveSession,
  userId: string,
  client: AuditClient,
  reason: string | null,
): Promise<void> {
  requireAdmin(deps, active);
  if (userId === active.user.id)
    throw new DomainError('cannot_reset_self', 'Administrators cannot reset their own two-factor authentication. Ask support.');
  await resetTwoFactor(
    deps,
    active.instance,
    userId,
    (target) => {
      if (target.hasApp) requireEqualOrStrongerFactor(deps, active);
      return {
        instance: active.instance,
        actor: userActor(active.user),
        by: { kind: 'admin', name: active.user.name, email: active.user.email },
        client,
        details: { by: 'admin', ...(reason ? { reason } : {}) },
        noticeAdmins: target.user.role === 'admin' ? { verifiedBy: null } : null,
      };
    },
    active.user.id,
  );
}

/**
 * Removing someone's authenticator app needs an admin whose own 2FA is active and whose code is
 * fresh. Why the target's app and not its role: NIST SP 800-63B-4 removes an authenticator only
 * with one of equal or greater strength, and a role is one PATCH away (issue 10: a password-only
 * admin demoted an admin, reset them as a member and promoted them back).
 */
function requireEqualOrStrongerFactor(deps: Deps, active: ActiveSession): void {
  if (!(isTwoFactorEnabled(active.instance.policy, active.user) && active.totp)) {
    throw new DomainError(
      'forbidden',
      "Set up two-factor authentication for your own account before resetting someone's authenticator app.",
    );
  }
  if (!isFresh(active.session, deps.clock.now())) {
    throw new DomainError('step_up_required', 'Confirm with a current code from your authenticator app first.');
  }
}

/** A support operator's reset of an administrator, after a recorded verification (SPEC rule 9). */
export async function resetBySupport(
  deps: Deps,
  operator: { id: string; name: string; email: string },
  instance: Instance,
  target: User,
  verification: Verification,
  client: AuditClient,
): Promise<void> {
  await resetTwoFactor(deps, instance, target.id, ({ user }) => {
    // The role as it is behind the lock: an administrator demoted meanwhile is their admins' to reset.
    if (user.role !== 'admin') {
      throw new DomainError('forbidden', "A member's two-factor authentication is reset by their instance's administrators.");
    }
    return {
      instance,
      actor: operatorActor(operator),
      by: { kind: 'support', reference: verification.reference },
      client,
      details: { by: 'support', verification },
      noticeAdmins: { verifiedBy: verification },
    };
  });
}

/** The break-glass CLI: the host's operator resets any user of an instance, with the same record. */
export async function resetFromCli(
  deps: Deps,
  input: { instance: string; email: string; verification: unknown; operator: string },
): Promise<User> {
  const verification = parseVerification(input.verification);
  const instance = await getInstanceBySlug(deps, input.instance.trim().toLowerCase());
  const found = await deps.stores.forInstance(instance.id).users.findByEmail(input.email);
  if (!found) throw new DomainError('not_found', `No user ${input.email} in instance "${instance.slug}".`);
  return resetTwoFactor(deps, instance, found.id, ({ user }) => ({
    instance,
    actor: { type: 'cli', id: null, label: `CLI: ${input.operator}` },
    by: { kind: 'cli', reference: verification.reference },
    client: { ip: null, userAgent: 'keyward CLI' },
    details: { by: 'cli', verification },
    noticeAdmins: user.role === 'admin' ? { verifiedBy: verification } : null,
  }));
}
