/**
 * The key check (SPEC §8: "a process that would seal with another key refuses to start"): the
 * database keeps one value sealed with KEYWARD_SECRET_KEY. A process whose keys cannot open it
 * would seal TOTP secrets, signing keys and mail that the other processes cannot open (and could
 * not open theirs), so it stops before it serves. Any key of the list opens it, so a rotation
 * (new key first, old key still listed) starts; `keyward rotate-key` re-seals it with the new one.
 */
import type { SecretBox } from '../../crypto/secret-box.ts';

export const KEY_CHECK_ASSOCIATED_DATA = 'keyward key check v1';
const KEY_CHECK_TEXT = 'keyward: this database is sealed with this key';

/** The port: one row. */
export interface KeyCheckStore {
  /** The stored check, or, when there is none yet, `sealed` stored and returned (one statement; racing first starts agree). */
  findOrInsert(sealed: string, now: Date): Promise<string>;
  /** Replaces the check (after a rotation re-sealed everything with the new key). */
  replace(sealed: string, now: Date): Promise<void>;
}

export class KeyMismatchError extends Error {
  override name = 'KeyMismatchError';
  constructor(readonly sealedWithKeyId: string) {
    super(
      `KEYWARD_SECRET_KEY does not open this database's key check: it was sealed with key ${sealedWithKeyId}, ` +
        'and this process would seal what the other processes cannot open. Start every process with the same KEYWARD_SECRET_KEY ' +
        '(during a rotation: the new key first, then the old one, comma-separated).',
    );
  }
}

export function sealKeyCheck(box: SecretBox): string {
  return box.seal(Buffer.from(KEY_CHECK_TEXT, 'utf8'), KEY_CHECK_ASSOCIATED_DATA);
}

/** Throws KeyMismatchError unless `box` opens the database's check (which a first start writes). */
export async function verifyKeyCheck(store: KeyCheckStore, box: SecretBox, now: Date): Promise<void> {
  const stored = await store.findOrInsert(sealKeyCheck(box), now);
  const opened = box.open(stored, KEY_CHECK_ASSOCIATED_DATA);
  if (!opened || opened.toString('utf8') !== KEY_CHECK_TEXT) throw new KeyMismatchError(stored.split('.')[0] ?? '?');
}
