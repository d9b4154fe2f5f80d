import { describe, expect, it } from 'vitest';
import { parseVerification, VERIFICATION_METHODS } from '../../src/domain/recovery/reset-two-factor.ts';
import { DomainError } from '../../src/domain/shared/errors.ts';

/** The field a refused verification names; null when it is accepted. */
function refusedField(raw: unknown): string | null {
  try {
    parseVerification(raw);
    return null;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    expect(error.code).toBe('invalid_request');
    return error.details.field ?? '';
  }
}

// SPEC rule 9 and ADM-06: a support reset records how the identity was verified; issue 10 item 16:
// the record must hold something visible (Unicode: not only \p{Cf}, \p{Cc}, \p{Z}), as NFC text.
describe('the verification record of a support reset', () => {
  it('accepts each method with a reference, notes optional', () => {
    for (const method of VERIFICATION_METHODS.filter((m) => m !== 'other')) {
      expect(parseVerification({ method, reference: 'TICKET-42' })).toEqual({ method, reference: 'TICKET-42', notes: null });
    }
    expect(parseVerification({ method: 'other', reference: 'T-1', notes: 'Met in person' })).toEqual({
      method: 'other',
      reference: 'T-1',
      notes: 'Met in person',
    });
  });

  it('refuses a missing record, an array, or an unknown method', () => {
    for (const raw of [null, undefined, 'video_call', [], 42]) expect(refusedField(raw)).toBe('verification');
    for (const method of [undefined, '', 'email', 'VIDEO_CALL', 1])
      expect(refusedField({ method, reference: 'T-1' })).toBe('verification.method');
  });

  it('refuses a reference that is missing, invisible, over 200 characters, or holds control characters', () => {
    for (const reference of [
      undefined,
      7,
      '',
      '   ',
      '\u200b\ufeff',
      '\u00a0\u3000',
      'x'.repeat(201),
      'T-\u00071',
      'T\u202e-1',
      'T-1\nx',
    ]) {
      expect(refusedField({ method: 'video_call', reference }), JSON.stringify(reference)).toBe('verification.reference');
    }
    expect(refusedField({ method: 'video_call', reference: 'x'.repeat(200) })).toBeNull();
  });

  it('no longer accepts a sent-in identity document, which no operator can check against anything (issue 13)', () => {
    expect(refusedField({ method: 'id_document', reference: 'SUP-1' })).toBe('verification.method');
    expect(refusedField({ method: 'contract_contact', reference: 'SUP-1' })).toBeNull();
  });

  it('trims invisible edges and stores the reference and the notes as NFC', () => {
    const decomposed = 'Zoe\u0308';
    expect(
      parseVerification({ method: 'contract_contact', reference: `\u200b ${decomposed}-7 \u00a0`, notes: ` ${decomposed} \n` }),
    ).toEqual({
      method: 'contract_contact',
      reference: 'Zo\u00eb-7',
      notes: 'Zo\u00eb',
    });
    // Control characters at the ends are edges like any other invisible character.
    expect(parseVerification({ method: 'video_call', reference: '\u0007T-1\r\n' }).reference).toBe('T-1');
  });

  it('keeps line breaks and tabs inside notes, and refuses other control characters and notes over 2000 characters', () => {
    expect(parseVerification({ method: 'video_call', reference: 'T-1', notes: 'Line one\n\tline two' }).notes).toBe('Line one\n\tline two');
    for (const notes of ['Matched\u0007 the photo', 'a\u202eb', 'n'.repeat(2001), 12]) {
      expect(refusedField({ method: 'video_call', reference: 'T-1', notes }), JSON.stringify(notes)).toBe('verification.notes');
    }
    expect(parseVerification({ method: 'video_call', reference: 'T-1', notes: '\u200b \u2060' }).notes).toBeNull();
  });

  it('requires visible notes for the method "other"', () => {
    for (const notes of [undefined, null, '', '\u200b\u2060'])
      expect(refusedField({ method: 'other', reference: 'T-1', notes })).toBe('verification.notes');
  });
});
