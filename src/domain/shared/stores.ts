/** The ports the domain needs, implemented once in storage/. */
import type { KeyCheckStore } from '../maintenance/key-check.ts';
import type { ResealStore } from '../maintenance/rotate-key.ts';
import type { InstanceStore } from '../instance/instance-store.ts';
import type { UserStore } from '../account/user-store.ts';
import type { SessionStore, TenantSessionStore } from '../session/session-store.ts';
import type { DevMailboxStore, OutboxStore } from '../mail/outbox-store.ts';
import type { OperatorSessionStore, OperatorStore } from '../support/operator-store.ts';
import type { SetupTokenStore } from '../setup/setup-token-store.ts';
import type { CredentialStore } from '../login/credential-store.ts';
import type { ThrottleStore } from '../throttle/throttle-store.ts';
import type { HousekeepingStore } from '../maintenance/housekeeping-store.ts';
import type { TwoFactorStore } from '../totp/two-factor-store.ts';
import type { KnownLocationStore } from '../known-location/known-location-store.ts';
import type { MailLogStore } from '../mail/mail-log-store.ts';
import type { PasswordStore } from '../account/password-store.ts';
import type { UserDirectoryStore } from '../admin/user-directory.ts';
import type { AuditStore } from '../audit/audit-store.ts';
import type { AccountTokenStore, TenantAccountTokenStore } from '../account/account-token-store.ts';
import type { ResetRequestStore } from '../account/reset-request-store.ts';
import type { OidcStateStore } from '../oidc/oidc-state-store.ts';
import type { SigningKeyStore } from '../oidc/signing-key-store.ts';
import type { OidcClientStore } from '../oidc/oidc-client-store.ts';
import type { MachineTokenStore } from '../oidc/machine-access.ts';
import type { BackchannelLogoutStore } from '../oidc/backchannel-store.ts';
import type { ProtectedAppStore } from '../forward-auth/protected-app-store.ts';
import type { ForwardAuthStore } from '../forward-auth/forward-session-store.ts';

export interface Stores {
  instances: InstanceStore;
  credentials: CredentialStore;
  sessions: SessionStore;
  operators: OperatorStore;
  /** Support operators' sessions: the kernel's session port over their own table. */
  operatorSessions: OperatorSessionStore;
  outbox: OutboxStore;
  devMailbox: DevMailboxStore;
  setupTokens: SetupTokenStore;
  throttles: ThrottleStore;
  housekeeping: HousekeepingStore;
  accountTokens: AccountTokenStore;
  audit: AuditStore;
  resetRequests: ResetRequestStore;
  /** Machine clients' access tokens of every instance (the admin API's Bearer tokens). */
  machineTokens: MachineTokenStore;
  /** Back-channel logout tokens owed to relying parties, of every instance (the worker's queue). */
  backchannelLogouts: BackchannelLogoutStore;
  /** The value sealed with KEYWARD_SECRET_KEY that every process must open (key-check.ts). */
  keyCheck: KeyCheckStore;
  /** Every value sealed with the secret box, for `keyward rotate-key` (rotate-key.ts). */
  reseal: ResealStore;
  /** Forward auth (SPEC §7): the proxy's question by host, forward sessions; the host names the instance. */
  forwardAuth: ForwardAuthStore;
  /** Stores whose every query is filtered by this instance. */
  forInstance(instanceId: string): TenantStores;
  /** Runs `work` in one database transaction; stores passed to it take part in it. */
  transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
}

export interface TenantStores {
  instanceId: string;
  users: UserStore;
  sessions: TenantSessionStore;
  twoFactor: TwoFactorStore;
  knownLocations: KnownLocationStore;
  mail: MailLogStore;
  passwords: PasswordStore;
  directory: UserDirectoryStore;
  accountTokens: TenantAccountTokenStore;
  /** The instance's OpenID Connect provider state (oidc-provider's adapter). */
  oidcState: OidcStateStore;
  signingKeys: SigningKeyStore;
  /** The instance's OpenID Connect clients (the admin API's and the provider's). */
  oidcClients: OidcClientStore;
  /** The instance's protected applications (forward auth, SPEC §7). */
  protectedApps: ProtectedAppStore;
}
