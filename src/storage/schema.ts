/** Table types: the single source of row shapes; Kysely derives query types from them. */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { ThrottleScope } from '../domain/throttle/throttle.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface InstancesTable {
  id: string;
  slug: string;
  name: string;
  plan: 'professional' | 'business' | 'enterprise';
  created_at: CreatedAt;
  trust_days: Generated<number>;
  trust_requires_same_network: Generated<boolean>;
  two_factor_auto_enable: Generated<boolean>;
  two_factor_enforce_setup: Generated<boolean>;
  two_factor_enforce_from: Timestamp | null;
  two_factor_max_postpones: number | null;
  password_min_length: Generated<number>;
  password_max_age_days: number | null;
  password_warn_days: number | null;
  password_history_count: Generated<number>;
}

export interface UsersTable {
  id: string;
  instance_id: string;
  email: string;
  /** lower-cased email: the case-insensitive unique key within the instance */
  email_key: string;
  name: string;
  role: 'admin' | 'member';
  status: 'active' | 'disabled';
  password_hash: string | null;
  password_changed_at: Timestamp | null;
  two_factor_enabled: Generated<boolean>;
  created_at: CreatedAt;
  setup_postponements: Generated<number>;
  /** Mirrors the existence of a totp_credentials row (kept by a trigger), for indexed filters. */
  totp_associated: Generated<boolean>;
  two_factor_requested_at: Timestamp | null;
  setup_reminded_at: Timestamp | null;
  password_warned_at: Timestamp | null;
}

export interface AccountTokensTable {
  token_hash: string;
  instance_id: string;
  user_id: string;
  purpose: 'invitation' | 'reset' | 'recovery';
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface TwoFactorAdoptionTable {
  instance_id: string;
  day: ColumnType<string, string, string>;
  active: number;
  pending: number;
  off: number;
}

export interface UserCountsTable {
  instance_id: string;
  enabled: boolean;
  associated: boolean;
  n: number;
}

export interface PasswordHistoryTable {
  id: Generated<number>;
  instance_id: string;
  user_id: string;
  password_hash: string;
  created_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  instance_id: string;
  user_id: string;
  secret_hash: string;
  stage: 'done' | 'verify' | 'setup' | 'change_password';
  created_at: CreatedAt;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
  second_factor_at: Timestamp | null;
  pending_totp_secret: string | null;
  pending_totp_expires_at: Timestamp | null;
  /** Which factor `second_factor_at` is about (migration 0009); null with it, or from before 0009. */
  second_factor_kind: 'totp' | 'backup_code' | null;
}

export interface TotpCredentialsTable {
  instance_id: string;
  user_id: string;
  secret_sealed: string;
  confirmed_at: Timestamp;
  last_used_step: number;
}

export interface KnownLocationsTable {
  id: string;
  instance_id: string;
  user_id: string;
  secret_hash: string;
  network: string;
  device: string;
  created_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
}

export interface ThrottlesTable {
  scope: ThrottleScope;
  /** Set for the password scope only (the instance as typed at login). */
  instance_slug: string | null;
  subject: string;
  failures: number;
  last_failure_at: Timestamp;
  decay_seconds: number | null;
}

export interface OperatorsTable {
  id: string;
  email: string;
  email_key: string;
  name: string;
  password_hash: string;
  created_at: CreatedAt;
  totp_secret_sealed: string | null;
  totp_last_used_step: ColumnType<string | null, number | null, number | null>;
  totp_confirmed_at: Timestamp | null;
  disabled_at: Timestamp | null;
}

export interface OperatorSessionsTable {
  id: string;
  operator_id: string;
  secret_hash: string;
  stage: 'verify' | 'setup' | 'done';
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
  second_factor_at: Timestamp | null;
  pending_totp_secret: string | null;
  pending_totp_expires_at: Timestamp | null;
}

export interface AuditEventsTable {
  id: ColumnType<string, never, never>;
  instance_id: string | null;
  at: Timestamp;
  action: string;
  actor_type: 'user' | 'operator' | 'cli' | 'system' | 'oidc_client';
  actor_id: string | null;
  actor_label: string;
  target_id: string | null;
  target_label: string | null;
  ip: string | null;
  user_agent: string | null;
  details: ColumnType<unknown, string, never>;
}

export interface OutboxTable {
  id: Generated<number>;
  instance_id: string | null;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  status: Generated<'pending' | 'sending' | 'sent' | 'dead'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  claimed_until: Timestamp | null;
  last_error: string | null;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
  sealed: Generated<boolean>;
}

export interface BackupCodesTable {
  instance_id: string;
  user_id: string;
  code_mac: string;
  created_at: Timestamp;
}

export interface DevMailboxTable {
  id: Generated<number>;
  outbox_id: number;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  sent_at: Timestamp;
}

export interface SetupTokensTable {
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** An operator's browser after a 2FA login: only keeps it out of strangers' lockouts (never skips the code). */
export interface OperatorDevicesTable {
  id: string;
  operator_id: string;
  secret_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** "Forgot password" requests waiting for the worker; the same row for unknown and known accounts. */
export interface PasswordResetRequestsTable {
  id: Generated<number>;
  instance_slug: string;
  email_key: string;
  requested_at: Timestamp;
}

/** oidc-provider's state (its adapter interface), one row per model and id within an instance. */
export interface OidcStateTable {
  instance_id: string;
  model: string;
  id: string;
  payload: ColumnType<unknown, string, string>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Timestamp | null;
  consumed_at: Timestamp | null;
  /** The keyward session the row was made from (migration 0020); null for rows of no user session. */
  keyward_session_id: string | null;
}

/** A back-channel logout token owed to a client (migration 0021). */
export interface OidcLogoutDeliveriesTable {
  instance_id: string;
  client_id: string;
  sid: string;
  sub: string;
  created_at: ColumnType<Date, Date | undefined, Date>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp | null;
  claimed_until: Timestamp | null;
  delivered_at: Timestamp | null;
  dead: ColumnType<boolean, boolean | undefined, boolean>;
  last_error: string | null;
}

/** An instance's token signing keys: the private JWK sealed with the secret box; `retired_at` null while it signs. */
export interface OidcSigningKeysTable {
  instance_id: string;
  kid: string;
  alg: 'ES256' | 'RS256';
  sealed_private_jwk: string;
  created_at: Timestamp;
  retired_at: Timestamp | null;
}

/** An instance's OpenID Connect clients; `sealed_secret` null exactly for public clients. */
export interface OidcClientsTable {
  instance_id: string;
  client_id: string;
  name: string;
  public: boolean;
  sealed_secret: string | null;
  redirect_uris: ColumnType<unknown, string, string>;
  post_logout_redirect_uris: ColumnType<unknown, string, string>;
  backchannel_logout_uri: string | null;
  default_acr_values: ColumnType<unknown, string, string>;
  grant_types: ColumnType<unknown, string, string>;
  scopes: ColumnType<unknown, string, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The protected application this client belongs to (migration 0027); null for a client of its own. */
  owner_app_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ProtectedAppsTable {
  id: string;
  instance_id: string;
  name: string;
  rules: ColumnType<unknown, string, string>;
  client_id: string;
  /** null: host-only forward cookies (migration 0028). */
  cookie_domain: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProtectedAppHostsTable {
  host: string;
  instance_id: string;
  app_id: string;
}

export interface ForwardSessionsTable {
  id: string;
  secret_hash: string;
  instance_id: string;
  app_id: string;
  session_id: string;
  host: string;
  /** The Domain its cookie was set with; null: host-only (migration 0028). */
  cookie_domain: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** One row: a value sealed with KEYWARD_SECRET_KEY that every process must open (migration 0030). */
export interface KeyCheckTable {
  id: number;
  sealed: string;
  sealed_at: Date;
}

/** One row: when housekeeping last ran on this database, and how often it has (migration 0032). */
export interface HousekeepingRunsTable {
  id: number;
  last_run_at: Date;
  runs: number;
}

export interface Database {
  key_check: KeyCheckTable;
  housekeeping_runs: HousekeepingRunsTable;
  instances: InstancesTable;
  users: UsersTable;
  sessions: SessionsTable;
  operators: OperatorsTable;
  outbox: OutboxTable;
  dev_mailbox: DevMailboxTable;
  setup_tokens: SetupTokensTable;
  totp_credentials: TotpCredentialsTable;
  known_locations: KnownLocationsTable;
  throttles: ThrottlesTable;
  backup_codes: BackupCodesTable;
  password_history: PasswordHistoryTable;
  user_counts: UserCountsTable;
  account_tokens: AccountTokensTable;
  two_factor_adoption: TwoFactorAdoptionTable;
  operator_sessions: OperatorSessionsTable;
  audit_events: AuditEventsTable;
  operator_devices: OperatorDevicesTable;
  password_reset_requests: PasswordResetRequestsTable;
  oidc_state: OidcStateTable;
  oidc_signing_keys: OidcSigningKeysTable;
  oidc_clients: OidcClientsTable;
  oidc_logout_deliveries: OidcLogoutDeliveriesTable;
  protected_apps: ProtectedAppsTable;
  protected_app_hosts: ProtectedAppHostsTable;
  forward_sessions: ForwardSessionsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type InstanceRow = Selectable<InstancesTable>;
export type SessionRow = Selectable<SessionsTable>;
export type OutboxRow = Selectable<OutboxTable>;
