/**
 * What a keyward session proves to a relying party, and whether it is enough for one
 * authorization request (SPEC §6 claims; docs/oidc.md "The login interaction"). Pure: the callers
 * (the provider's interaction policy and keyward's interaction handler) look the session up on
 * every authorization and pass it here, so `acr`, `amr` and `auth_time` are never cached.
 */
import type { ActiveSession } from '../session/session-store.ts';
import type { Instance } from '../instance/instance.ts';

/** A password only (a known location skipped the code): NIST SP 800-63B-4 AAL1. */
export const ACR_PWD = 'urn:keyward:acr:pwd';
/** A password and a second factor in this session: AAL2. */
export const ACR_MFA = 'urn:keyward:acr:mfa';
export const ACR_VALUES = [ACR_PWD, ACR_MFA] as const;

/** The login of a keyward session, as the provider records it and the ID token states it. */
export interface OidcLogin {
  /** The user id: the `sub`. */
  accountId: string;
  /** `auth_time`: when the session's login finished, in seconds since the epoch (a step-up keeps it). */
  authTime: number;
  acr: string;
  /** RFC 8176 method references, in this order. */
  amr: string[];
}

/**
 * `amr` by RFC 8176 §2: `pwd` for the password; a TOTP code is `otp`; both together `mfa`. A backup
 * code is an emailed recovery secret, not a one-time-password generator: `mfa` without `otp`
 * (SPEC §6). A known location is no factor the user presented: it adds nothing.
 */
export function loginOf(active: ActiveSession): OidcLogin {
  const kind = active.session.secondFactorAt ? active.session.secondFactorKind : null;
  const amr = kind === 'totp' ? ['pwd', 'otp', 'mfa'] : kind === 'backup_code' ? ['pwd', 'mfa'] : ['pwd'];
  return {
    accountId: active.user.id,
    authTime: Math.floor(active.session.createdAt.getTime() / 1000),
    acr: kind ? ACR_MFA : ACR_PWD,
    amr,
  };
}

/** What an authorization request asks of the login behind it. */
export interface OidcDemand {
  /** A second factor in this session (acr `mfa`). */
  mfa: boolean;
  /** `max_age` in seconds: the login must be at most this old. */
  maxAge?: number;
  /** `prompt=login`: a login that finished after this instant (keyward's clock), once the interaction recorded it. */
  loginAfter?: Date | null;
  /** `prompt=login` was asked and no login after it has been demanded yet. */
  freshLogin?: boolean;
}

/** The acr values a request or client asks for, in order of preference (OIDC Core §3.1.2.1). */
function asksOnlyMfa(values: readonly string[] | undefined): boolean {
  if (!values || values.length === 0) return false;
  // Why "only": acr_values is a preference list; one that also names pwd accepts a password.
  return values.includes(ACR_MFA) && !values.includes(ACR_PWD);
}

/** Whether the instance's policy requires an app now (enforced setup that has started). */
export function instanceEnforcesMfa(instance: Instance, now: Date): boolean {
  const { enforceSetup, enforceFrom } = instance.policy.twoFactor;
  return enforceSetup && (enforceFrom === null || enforceFrom.getTime() <= now.getTime());
}

/**
 * Whether the request needs acr `mfa`: `acr_values` (else the client's `default_acr_values`,
 * OIDC Registration §2) naming mfa and not pwd, an essential `acr` claim naming only mfa
 * (OIDC Core §5.5.1.1), or an instance that enforces 2FA.
 */
export function demandsMfa(input: {
  acrValues: readonly string[] | undefined;
  defaultAcrValues: readonly string[] | undefined;
  essentialAcr: readonly string[] | undefined;
  instance: Instance;
  now: Date;
}): boolean {
  const requested = input.acrValues && input.acrValues.length > 0 ? input.acrValues : input.defaultAcrValues;
  return asksOnlyMfa(requested) || asksOnlyMfa(input.essentialAcr) || instanceEnforcesMfa(input.instance, input.now);
}

/** The essential `acr` values of a `claims` parameter's id_token member, if any. */
export function essentialAcrOf(claims: unknown): string[] | undefined {
  if (typeof claims !== 'string') return undefined;
  try {
    const acr = (JSON.parse(claims) as { id_token?: { acr?: { essential?: boolean; value?: unknown; values?: unknown } } }).id_token?.acr;
    if (!acr?.essential) return undefined;
    if (typeof acr.value === 'string') return [acr.value];
    return Array.isArray(acr.values) ? acr.values.filter((v): v is string => typeof v === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The verdict on one authorization: `ok` with the login to state; `login` (a password step:
 * no full session of this instance, too old for max_age, or prompt=login); `step_up` (a password
 * only where mfa is asked, and the user has an app); `unmet` (mfa asked, no app to give a code).
 */
export type OidcVerdict = { kind: 'ok'; login: OidcLogin } | { kind: 'login' } | { kind: 'step_up' } | { kind: 'unmet' };

export function judgeSession(active: ActiveSession | null, instanceId: string, demand: OidcDemand, now: Date): OidcVerdict {
  // Why the instance is compared: a browser holds one keyward session, and one of another
  // instance must never sign anyone in here (TEN-02); nor may a login waiting at a step.
  if (!active || active.session.stage !== 'done' || active.instance.id !== instanceId) return { kind: 'login' };
  const loggedInAt = active.session.createdAt.getTime();
  if (demand.freshLogin) return { kind: 'login' };
  if (demand.loginAfter && loggedInAt <= demand.loginAfter.getTime()) return { kind: 'login' };
  // OIDC Core §3.1.2.1 max_age: the login itself must be recent; a later step-up does not renew it.
  if (demand.maxAge !== undefined && now.getTime() - loggedInAt > demand.maxAge * 1000) return { kind: 'login' };
  const login = loginOf(active);
  if (demand.mfa && login.acr !== ACR_MFA) return active.totp ? { kind: 'step_up' } : { kind: 'unmet' };
  return { kind: 'ok', login };
}
