/**
 * `keyward rotate-key` (SPEC §8, issue 15): after KEYWARD_SECRET_KEY got a new key first (the old
 * one still listed, every process restarted), every value sealed under an older key is opened and
 * sealed again with the newest, then the key check is re-sealed, so the old key can leave the list.
 *
 * Why one row per statement with a compare on the old ciphertext: a server keeps running during
 * the rotation, and a row it changed meanwhile (a new TOTP secret, a mail sent) must not be
 * overwritten with the re-sealed old value; the row is then already sealed with the new key.
 * Why pages in key order: memory and transactions stay bounded on a large database, and a run
 * that stopped half-way resumes (re-sealed rows are skipped, so a second run re-seals none).
 *
 * What is not sealed and so cannot be re-sealed: backup codes are stored as MACs under a subkey of
 * the key that made them (secretBox.mac); their plaintext is gone, so they keep needing the old
 * key until each is used or replaced. The count of such codes is reported, and the old key may
 * leave the list only when it is 0 (or once the users got new codes).
 */
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Deps } from '../shared/deps.ts';
import { sealKeyCheck } from './key-check.ts';
import { secretAssociatedData } from '../auth/session-rules.ts';
import { OPERATOR_PROFILE, USER_PROFILE } from '../auth/profile.ts';
import { OUTBOX_ASSOCIATED_DATA } from '../mail/mail.ts';
import { sealContext as signingKeyContext } from '../oidc/signing-keys.ts';
import { sealContext as clientSecretContext } from '../oidc/manage-oidc-clients.ts';
import type { AuditActor } from '../audit/audit-event.ts';

export const SEALED_KINDS = [
  'totp_secret',
  'operator_totp_secret',
  'pending_totp_secret',
  'operator_pending_totp_secret',
  'oidc_signing_key',
  'oidc_client_secret',
  'mail_text',
  'mail_html',
] as const;
export type SealedKind = (typeof SEALED_KINDS)[number];

/** One sealed value: `key` is the row's primary key (keyset order), `context` what its associated data is made of. */
export interface SealedValue {
  key: string[];
  sealed: string;
  context: string[];
}

/** The port: every column holding a value sealed with the secret box. */
export interface ResealStore {
  /**
   * Up to `limit` values of `kind` that are not sealed with `keyId`, in primary-key order after
   * `after` (null: from the start). `context` per kind: totp_secret and pending_totp_secret
   * [instanceId, userId]; the operator kinds [operatorId]; oidc kinds [instanceId, kid or clientId]; mail [].
   */
  page(kind: SealedKind, keyId: string, after: string[] | null, limit: number): Promise<SealedValue[]>;
  /** Replaces the value at `key` with `resealed` if it still is `sealed` (one statement); whether it was. */
  swap(kind: SealedKind, key: string[], sealed: string, resealed: string): Promise<boolean>;
  /** How many backup codes are MACs under another key than `keyId` (cannot be re-sealed). */
  countForeignMacs(keyId: string): Promise<number>;
}

function associatedData(kind: SealedKind, context: string[]): string {
  const [a = '', b = ''] = context;
  switch (kind) {
    case 'totp_secret':
    case 'pending_totp_secret':
      return secretAssociatedData(USER_PROFILE, a, b);
    case 'operator_totp_secret':
    case 'operator_pending_totp_secret':
      return secretAssociatedData(OPERATOR_PROFILE, null, a);
    case 'oidc_signing_key':
      return signingKeyContext(a, b);
    case 'oidc_client_secret':
      return clientSecretContext(a, b);
    case 'mail_text':
    case 'mail_html':
      return OUTBOX_ASSOCIATED_DATA;
  }
}

export interface KindCount {
  resealed: number;
  /** Changed by a running server between read and write: already sealed anew by it. */
  changedMeanwhile: number;
  /** Sealed with a key not in KEYWARD_SECRET_KEY (or tampered with): left as they are. */
  unreadable: number;
}

export interface RotationReport {
  keyId: string;
  kinds: Record<SealedKind, KindCount>;
  /** Backup codes still MAC'd with an older key: the old key must stay listed until they are used or replaced. */
  backupCodesUnderOlderKeys: number;
  keyCheckUpdated: boolean;
  oldKeyRemovable: boolean;
}

const PAGE = 200;

async function resealKind(box: SecretBox, store: ResealStore, kind: SealedKind): Promise<KindCount> {
  const count: KindCount = { resealed: 0, changedMeanwhile: 0, unreadable: 0 };
  let after: string[] | null = null;
  for (;;) {
    const page = await store.page(kind, box.keyId, after, PAGE);
    for (const value of page) {
      const ad = associatedData(kind, value.context);
      const plain = box.open(value.sealed, ad);
      if (!plain) {
        count.unreadable++;
        continue;
      }
      const resealed = box.seal(plain, ad);
      plain.fill(0);
      if (await store.swap(kind, value.key, value.sealed, resealed)) count.resealed++;
      else count.changedMeanwhile++;
    }
    if (page.length < PAGE) return count;
    after = page[page.length - 1]!.key;
  }
}

export async function rotateSecretKey(deps: Deps, actor: AuditActor): Promise<RotationReport> {
  const box = deps.secretBox;
  const store = deps.stores.reseal;
  const kinds = {} as Record<SealedKind, KindCount>;
  for (const kind of SEALED_KINDS) kinds[kind] = await resealKind(box, store, kind);
  const unreadable = SEALED_KINDS.some((kind) => kinds[kind].unreadable > 0);
  const backupCodesUnderOlderKeys = await store.countForeignMacs(box.keyId);
  // Why only when every value opened and no backup code needs an older key: the check sealed with
  // the new key lets a process holding the new key alone start, and that process could not open
  // what remains, nor verify those backup codes (a user locked out of the last way in). Until
  // then the old check stays, so the old key cannot leave the list by mistake; a later run, once
  // the codes are used or replaced, moves the check.
  const movable = !unreadable && backupCodesUnderOlderKeys === 0;
  if (movable) await deps.stores.keyCheck.replace(sealKeyCheck(box), deps.clock.now());
  const report: RotationReport = {
    keyId: box.keyId,
    kinds,
    backupCodesUnderOlderKeys,
    keyCheckUpdated: movable,
    oldKeyRemovable: movable,
  };
  await deps.stores.audit.record([
    {
      instanceId: null,
      at: deps.clock.now(),
      action: 'secret_key.rotated',
      actor,
      target: null,
      ip: null,
      userAgent: null,
      details: {
        keyId: box.keyId,
        resealed: Object.fromEntries(SEALED_KINDS.map((kind) => [kind, kinds[kind].resealed])),
        backupCodesUnderOlderKeys,
        oldKeyRemovable: report.oldKeyRemovable,
      },
    },
  ]);
  return report;
}
