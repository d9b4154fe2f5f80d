import { describe, expect, it } from 'vitest';
import { BACKUP_CODE_ALPHABET, formatBackupCode, newBackupCode, normalizeBackupCode } from '../../src/crypto/backup-code.ts';

describe('backup codes', () => {
  it('carry at least 64 bits: 16 symbols of a 32-letter alphabet, without I, L, O, U', () => {
    expect(BACKUP_CODE_ALPHABET).toHaveLength(32);
    // Measured on generated codes, not on constants: 16 symbols of 32 = 80 bits.
    const code = newBackupCode();
    expect(code).toMatch(new RegExp(`^[${BACKUP_CODE_ALPHABET}]{16}$`));
    expect(code.length * Math.log2(BACKUP_CODE_ALPHABET.length)).toBe(80);
    expect(BACKUP_CODE_ALPHABET).not.toMatch(/[ILOU]/);
  });

  it('are distinct and roughly uniform per position', () => {
    const codes = Array.from({ length: 20_000 }, newBackupCode);
    expect(new Set(codes).size).toBe(20_000);
    for (let position = 0; position < 16; position += 1) {
      const counts = new Map<string, number>();
      for (const code of codes) counts.set(code[position]!, (counts.get(code[position]!) ?? 0) + 1);
      const expected = codes.length / 32;
      const chi = [...BACKUP_CODE_ALPHABET].reduce((sum, c) => sum + ((counts.get(c) ?? 0) - expected) ** 2 / expected, 0);
      // 31 degrees of freedom: p = 1e-6 at 83.64 (scipy chi2.isf). Why not p = 0.001 (61.1):
      // with 16 positions tested, a fair generator failed about one run in 60 (a CI run failed at
      // 62.6); at 1e-6 per position a fair one fails once in 60,000 runs. 20,000 codes keep the
      // power: one letter never drawn adds 625 to chi, one drawn twice as often about 570.
      expect(chi).toBeLessThan(83.64);
    }
  });

  it('are shown in groups of four and read back with or without separators, in any case', () => {
    const code = newBackupCode();
    const shown = formatBackupCode(code);
    expect(shown).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(normalizeBackupCode(shown)).toBe(code);
    expect(normalizeBackupCode(shown.toLowerCase())).toBe(code);
    expect(normalizeBackupCode(` ${shown.replace(/-/g, ' ')} `)).toBe(code);
    expect(normalizeBackupCode('7KQ4 M9XD 2HTR PW6C')).toBe('7KQ4M9XD2HTRPW6C');
    expect(normalizeBackupCode('7kq4-m9xd-2htr-pw6c')).toBe('7KQ4M9XD2HTRPW6C');
    expect(normalizeBackupCode('OIL0-0000-0000-0000')).toBe('0110000000000000');
  });

  it('refuses what cannot be a code', () => {
    for (const typed of ['', '7KQ4-M9XD-2HTR', '7KQ4-M9XD-2HTR-PW6CX', '7KQ4-M9XD-2HTR-PW6U', '123456']) {
      expect(normalizeBackupCode(typed)).toBeNull();
    }
  });
});
