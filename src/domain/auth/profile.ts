import { operatorPasswordKey, operatorSecondFactorKey, passwordKey, secondFactorKey, type ThrottleKey } from '../throttle/throttle.ts';

/**
 * Who a session belongs to. The login kernel (this folder) is one set of use-cases for every
 * principal; what really differs between a user of an instance and a support operator is data,
 * here, never a subclass: the token's kind, the lifetimes, whether a known location may skip the
 * code, whose key a failure counts on, the sealed secret's associated data, the audit's scope.
 */
export interface PrincipalProfile {
  kind: 'user' | 'operator';
  /**
   * What the session cookie's value starts with. Why a prefix for operators: the two kinds of
   * session can never be mistaken for each other; an instance route does not parse an operator
   * token and a support route does not parse a user's (ADM-06: a separate channel).
   */
  tokenPrefix: string;
  /** A login waiting at a step (MFA-02: pre-2FA state is short-lived). */
  pendingSeconds: number;
  /** A full session's absolute lifetime. */
  fullSeconds: number;
  /** Idle timeout: the session ends after this long without a request. */
  idleSeconds: number;
  /** How long a verified TOTP code counts as fresh for sensitive actions (SPEC rule 12). */
  stepUpSeconds: number;
  /**
   * Whether a known location may skip the code (SPEC rule 5). Operators: never; their device
   * token only keeps their browser's password attempts on a key of its own.
   */
  knownLocationSkipsCode: boolean;
  /** The second factors the verify step offers (an operator has no emailed backup code). */
  verifyMethods: ReadonlyArray<'totp' | 'backup_code'>;
  /**
   * Whose key a failure counts on (the throttle's own key functions): the password's names the
   * scope (an instance slug; none for operators) and the email, so unknown accounts have one too;
   * the code's names the principal.
   */
  keys: { password: (scope: string, emailKey: string) => ThrottleKey; secondFactor: (principalId: string) => ThrottleKey };
  /**
   * The sealed TOTP secret's AES-GCM associated data is `totp:<scope>:<principal id>`: a copy on
   * another row does not open. A user's scope is their instance id, an operator's this word.
   */
  secretScope: 'instance' | 'operator';
  /** The audit log's actor type for the principal's own events; operators' belong to no instance. */
  actorType: 'user' | 'operator';
  /** What the authenticator app shows after the issuer. */
  issuerSuffix: string;
}

/**
 * NIST SP 800-63B (rev. 3 §4.2.3, AAL2): re-authenticate after 30 minutes idle and at least every
 * 12 hours (the checklist's SES-05/SES-06 defaults); a login waiting at a step lives 15 minutes.
 */
export const USER_PROFILE: PrincipalProfile = {
  kind: 'user',
  tokenPrefix: '',
  pendingSeconds: 15 * 60,
  fullSeconds: 12 * 60 * 60,
  idleSeconds: 30 * 60,
  stepUpSeconds: 10 * 60,
  knownLocationSkipsCode: true,
  verifyMethods: ['totp', 'backup_code'],
  keys: { password: passwordKey, secondFactor: secondFactorKey },
  secretScope: 'instance',
  actorType: 'user',
  issuerSuffix: '',
};

/**
 * Operator sessions are short (checklist SES-05 for privileged users): 15 minutes idle, 2 hours
 * at most; a login waiting at a step lives 10 minutes. 2FA is always required.
 */
export const OPERATOR_PROFILE: PrincipalProfile = {
  kind: 'operator',
  tokenPrefix: 'op.',
  pendingSeconds: 10 * 60,
  fullSeconds: 2 * 60 * 60,
  idleSeconds: 15 * 60,
  stepUpSeconds: 10 * 60,
  knownLocationSkipsCode: false,
  verifyMethods: ['totp'],
  keys: { password: (_scope, emailKey) => operatorPasswordKey(emailKey), secondFactor: operatorSecondFactorKey },
  secretScope: 'operator',
  actorType: 'operator',
  issuerSuffix: ' support',
};
