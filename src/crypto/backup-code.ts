/**
 * Backup codes: 16 characters of Crockford's Base32 (no I, L, O, U), 80 bits from the CSPRNG
 * (NIST SP 800-63B §4.2.1.1: at least 64), shown as 7KQ4-M9XD-2HTR-PW6C. Typed codes are accepted
 * in any case, with or without spaces and dashes, and with O/I/L read as 0/1/1.
 */
import { randomInt } from 'node:crypto';

export const BACKUP_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const BACKUP_CODE_LENGTH = 16;

export function newBackupCode(): string {
  let code = '';
  for (let i = 0; i < BACKUP_CODE_LENGTH; i += 1) code += BACKUP_CODE_ALPHABET[randomInt(BACKUP_CODE_ALPHABET.length)];
  return code;
}

export function formatBackupCode(code: string): string {
  return code.match(/.{1,4}/g)!.join('-');
}

/** The canonical form of a typed code, or null when it cannot be one of ours. */
export function normalizeBackupCode(typed: string): string | null {
  const code = typed
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (code.length !== BACKUP_CODE_LENGTH) return null;
  for (const char of code) if (!BACKUP_CODE_ALPHABET.includes(char)) return null;
  return code;
}
