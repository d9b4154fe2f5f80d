import type { PasswordHasher } from '../../crypto/password.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { PasswordBlocklist } from '../account/password-rules.ts';
import type { Clock } from './clock.ts';
import type { Stores } from './stores.ts';
import type { SupportContact } from '../support/support-contact.ts';

/** What use-cases receive: a plain object wired in main.ts (no registry, no god context). */
export interface Deps {
  stores: Stores;
  hasher: PasswordHasher;
  clock: Clock;
  /** The service's public base URL, for links in mail. */
  publicUrl: string;
  /** Wakes the outbox worker after a transaction that queued mail committed. */
  mailQueued: () => void;
  /** Seals TOTP secrets at rest (AES-256-GCM with key ids). */
  secretBox: SecretBox;
  /** The issuer shown in authenticator apps. */
  totpIssuer: string;
  /** Common and breached passwords. */
  blocklist: PasswordBlocklist;
  /** How long an operator's code counts as fresh for support resets; 600 (rule 12) when absent. */
  supportStepUpSeconds?: number;
  /** The vendor's support contact (KEYWARD_SUPPORT_CONTACT), shown to administrators who lost their device; null or absent: none set. */
  supportContact?: SupportContact | null;
  /** KEYWARD_AUDIT_RETENTION_DAYS: housekeeping deletes audit events older than this; null or absent: kept forever. */
  auditRetentionDays?: number | null;
}
