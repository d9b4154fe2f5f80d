/**
 * The HTTP API as types, shared by the server and the web UI (docs/architecture.md, "One API
 * contract"). Every reply type is derived from the response schema the server serializes with,
 * so a field the server adds, renames or drops changes these types, and the web stops compiling
 * where it reads or labels it. The enums the UI words (audit actions, error codes, roles, 2FA
 * statuses, verification methods, mail statuses) are the server's own lists.
 *
 * Types only: the web imports this file with `import type`, so no server code reaches its bundle
 * (lint allows nothing else from src/, eslint.config.js).
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { ErrorCode } from '../../domain/shared/errors.ts';
import type { AuditAction } from '../../domain/audit/audit-event.ts';
import type { LoginStep } from '../../domain/login/login-step.ts';
import type { VerificationMethod } from '../../domain/recovery/verification-method.ts';
import type { ErrorBody } from '../error-handler.ts';
import type { codeBodySchema, loginBodySchema, secondFactorBodySchema, setupBodySchema, setupSchema } from './auth.schemas.ts';
import type { knownLocationsSchema, meSchema, placeSchema, twoFactorBodySchema, twoFactorSchema } from './me.schemas.ts';
import type { sessionsSchema, endedSchema } from './sessions.schemas.ts';
import type {
  changePasswordBodySchema,
  forgotBodySchema,
  linkBodySchema,
  linkInfoBodySchema,
  linkInfoSchema,
  linkStatusSchema,
  policyPatchSchema,
  policySchema,
} from './policy.schemas.ts';
import type { activitySchema, auditEventSchema, auditPageSchema } from './audit.schemas.ts';
import type { adoptionSchema, emailedSchema, listedUserSchema, userPageSchema } from './users.schemas.ts';
import type {
  inviteBodySchema,
  mailListSchema,
  recoveryCodeSchema,
  settingsBodySchema,
  settingsSchema,
  updateUserBodySchema,
} from './admin.schemas.ts';
import type {
  instancesSchema,
  operatorSchema,
  resetBodySchema as supportResetBodySchema,
  supportLoginBodySchema,
  usersSchema as supportUsersSchema,
} from './support.schemas.ts';
import type { setupBodySchema as firstRunBodySchema, setupStatusSchema } from './setup.schemas.ts';
import type { mailboxSchema } from './dev.schemas.ts';
import type {
  createOidcClientBodySchema,
  oidcClientListSchema,
  oidcClientSchema,
  oidcClientWithSecretSchema,
  patchOidcClientBodySchema,
} from './oidc-clients.schemas.ts';
import type { createProtectedAppBodySchema, protectedAppListSchema, protectedAppSchema } from './protected-apps.schemas.ts';

export type { AuditAction, ErrorCode, ErrorBody, LoginStep };

// Login, setup and links (SPEC §3).
export type LoginBody = FromSchema<typeof loginBodySchema>;
export type SecondFactorBody = FromSchema<typeof secondFactorBodySchema>;
export type CodeBody = FromSchema<typeof codeBodySchema>;
/** POST /auth/setup from a full session: the proof (issue 10 item 5); at login's `setup` step, no body. */
export type TotpSetupProof = NonNullable<FromSchema<typeof setupBodySchema>>;
export type TotpSetup = FromSchema<typeof setupSchema>;
export type ChangePasswordBody = FromSchema<typeof changePasswordBodySchema>;
export type ForgotPasswordBody = FromSchema<typeof forgotBodySchema>;
export type PasswordLinkBody = FromSchema<typeof linkBodySchema>;
export type PasswordLinkInfoBody = FromSchema<typeof linkInfoBodySchema>;
export type PasswordLinkInfo = FromSchema<typeof linkInfoSchema>;
export type PasswordLinkStatus = FromSchema<typeof linkStatusSchema>;
export type FirstRunBody = FromSchema<typeof firstRunBodySchema>;
export type FirstRunStatus = FromSchema<typeof setupStatusSchema>;

// My profile.
export type MeResponse = FromSchema<typeof meSchema>;
export type Role = MeResponse['role'];
export type TwoFactorState = FromSchema<typeof twoFactorSchema>;
export type TwoFactorStatus = TwoFactorState['status'];
export type TwoFactorBody = FromSchema<typeof twoFactorBodySchema>;
export type KnownLocation = FromSchema<typeof placeSchema>;
export type KnownLocationList = FromSchema<typeof knownLocationsSchema>;
export type SessionList = FromSchema<typeof sessionsSchema>;
export type ListedSession = SessionList['sessions'][number];
export type EndedCount = FromSchema<typeof endedSchema>;
export type Activity = FromSchema<typeof activitySchema>;

// Administration.
export type ListedUser = FromSchema<typeof listedUserSchema>;
export type UserStatus = ListedUser['status'];
export type UserPage = FromSchema<typeof userPageSchema>;
export type InviteBody = FromSchema<typeof inviteBodySchema>;
export type UpdateUserBody = FromSchema<typeof updateUserBodySchema>;
export type Emailed = FromSchema<typeof emailedSchema>;
export type Adoption = FromSchema<typeof adoptionSchema>;
export type AdoptionDay = Adoption['days'][number];
export type PasswordPolicy = FromSchema<typeof policySchema>;
export type PolicyPatchBody = FromSchema<typeof policyPatchSchema>;
export type InstanceSettings = FromSchema<typeof settingsSchema>;
export type InstanceSettingsBody = FromSchema<typeof settingsBodySchema>;
export type KnownLocationSettings = InstanceSettings['knownLocations'];
export type MailList = FromSchema<typeof mailListSchema>;
export type OutboxEntry = MailList['messages'][number];
export type MailStatus = OutboxEntry['status'];
export type RecoveryCode = FromSchema<typeof recoveryCodeSchema>;
export type AuditPage = FromSchema<typeof auditPageSchema>;
export type AuditEvent = FromSchema<typeof auditEventSchema>;
export type AuditActorType = AuditEvent['actor']['type'];
// Settings → Applications (SPEC §6).
export type OidcClient = FromSchema<typeof oidcClientSchema>;
export type OidcClientWithSecret = FromSchema<typeof oidcClientWithSecretSchema>;
export type OidcClientList = FromSchema<typeof oidcClientListSchema>;
export type CreateOidcClientBody = FromSchema<typeof createOidcClientBodySchema>;
export type PatchOidcClientBody = FromSchema<typeof patchOidcClientBodySchema>;

// Protected applications (SPEC §7, forward auth).
export type ProtectedApp = FromSchema<typeof protectedAppSchema>;
export type ProtectedAppList = FromSchema<typeof protectedAppListSchema>;
export type CreateProtectedAppBody = FromSchema<typeof createProtectedAppBodySchema>;

// The support console.
export type SupportLoginBody = FromSchema<typeof supportLoginBodySchema>;
export type Operator = FromSchema<typeof operatorSchema>;
export type SupportInstances = FromSchema<typeof instancesSchema>;
export type SupportInstance = SupportInstances['instances'][number];
export type SupportUserPage = FromSchema<typeof supportUsersSchema>;
export type SupportUser = SupportUserPage['users'][number];
export type SupportResetBody = NonNullable<FromSchema<typeof supportResetBodySchema>>;
/** How support confirmed who an administrator is before resetting their 2FA (SPEC rule 9). */
export type { VerificationMethod };

// The dev mailbox (loopback only).
export type Mailbox = FromSchema<typeof mailboxSchema>;
export type MailboxMessage = Mailbox['messages'][number];
