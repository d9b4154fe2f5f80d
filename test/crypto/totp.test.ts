import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import {
  fromBase32,
  groupKey,
  hotp,
  matchTotpStep,
  newTotpSecret,
  otpauthUri,
  toBase32,
  totp,
  type TotpAlgorithm,
} from '../../src/crypto/totp.ts';

const SEEDS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890'),
  SHA256: Buffer.from('12345678901234567890123456789012'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

// RFC 6238 Appendix B (8 digits; SHA-256/512 with the seeds of the RFC's reference code, per the erratum).
const RFC6238: Array<[number, TotpAlgorithm, string]> = [
  [59, 'SHA1', '94287082'],
  [59, 'SHA256', '46119246'],
  [59, 'SHA512', '90693936'],
  [1111111109, 'SHA1', '07081804'],
  [1111111109, 'SHA256', '68084774'],
  [1111111109, 'SHA512', '25091201'],
  [1111111111, 'SHA1', '14050471'],
  [1111111111, 'SHA256', '67062674'],
  [1111111111, 'SHA512', '99943326'],
  [1234567890, 'SHA1', '89005924'],
  [1234567890, 'SHA256', '91819424'],
  [1234567890, 'SHA512', '93441116'],
  [2000000000, 'SHA1', '69279037'],
  [2000000000, 'SHA256', '90698825'],
  [2000000000, 'SHA512', '38618901'],
  [20000000000, 'SHA1', '65353130'],
  [20000000000, 'SHA256', '77737706'],
  [20000000000, 'SHA512', '47863826'],
];

// RFC 4226 Appendix D.
const RFC4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

const at = (seconds: number) => new Date(seconds * 1000);

describe('TOTP and HOTP', () => {
  it.each(RFC6238)('reproduces RFC 6238 Appendix B at t=%i with %s', (time, algorithm, expected) => {
    expect(totp(SEEDS[algorithm], at(time), 8, algorithm)).toBe(expected);
  });

  it('reproduces RFC 4226 Appendix D for counters 0 to 9', () => {
    expect(RFC4226.map((_, counter) => hotp(SEEDS.SHA1, counter))).toEqual(RFC4226);
  });

  it('accepts the previous, current and next step and nothing further (±1 step of drift)', () => {
    const secret = SEEDS.SHA1;
    const now = at(1_700_000_015);
    const step = Math.floor(1_700_000_015 / 30);
    expect(matchTotpStep(secret, hotp(secret, step), now)).toBe(step);
    expect(matchTotpStep(secret, hotp(secret, step - 1), now)).toBe(step - 1);
    expect(matchTotpStep(secret, hotp(secret, step + 1), now)).toBe(step + 1);
    expect(matchTotpStep(secret, hotp(secret, step - 2), now)).toBeNull();
    expect(matchTotpStep(secret, hotp(secret, step + 2), now)).toBeNull();
  });

  it('moves to the next step exactly at the 30-second boundary', () => {
    const secret = SEEDS.SHA1;
    const boundary = 1_700_000_010; // divisible by 30
    const lastOfPrevious = at(boundary - 0.001);
    const first = at(boundary);
    expect(totp(secret, lastOfPrevious)).toBe(hotp(secret, boundary / 30 - 1));
    expect(totp(secret, first)).toBe(hotp(secret, boundary / 30));
    // Two steps after the code's step it is out of the window.
    expect(matchTotpStep(secret, hotp(secret, boundary / 30 - 1), at(boundary + 30))).toBeNull();
    expect(matchTotpStep(secret, hotp(secret, boundary / 30 - 1), at(boundary + 29.999))).toBe(boundary / 30 - 1);
  });

  it('refuses malformed codes before computing anything', () => {
    const secret = SEEDS.SHA1;
    for (const code of ['', '12345', '1234567', '12a456', ' 123456', '１２３４５６', '123 456']) {
      expect(matchTotpStep(secret, code, at(59))).toBeNull();
    }
  });

  it('makes 160-bit secrets that round-trip through Base32 and differ each time', () => {
    const secrets = Array.from({ length: 200 }, newTotpSecret);
    expect(secrets.every((s) => s.length === 20)).toBe(true);
    expect(new Set(secrets.map((s) => s.toString('hex'))).size).toBe(200);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) =>
        fromBase32(toBase32(Buffer.from(bytes))).equals(Buffer.from(bytes)),
      ),
    );
    expect(toBase32(SEEDS.SHA1)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(groupKey('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toBe('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ');
  });

  it('builds an interoperable otpauth URI (issuer prefix and parameter, SHA1, 6 digits, 30 s)', () => {
    const uri = new URL(otpauthUri(SEEDS.SHA1, 'keyward', 'ada@acme.test'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/keyward:ada@acme.test');
    expect(uri.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(uri.searchParams.get('issuer')).toBe('keyward');
    expect(uri.searchParams.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(uri.searchParams.get('digits') ?? '6').toBe('6');
    expect(uri.searchParams.get('period') ?? '30').toBe('30');
  });

  it('agrees with oathtool, an independent implementation, for random secrets and times', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 4_000_000_000 }), (bytes, seconds) => {
        const secret = Buffer.from(bytes);
        const expected = execFileSync('oathtool', ['--totp', '-b', toBase32(secret), `--now=@${seconds}`], { encoding: 'utf8' }).trim();
        return totp(secret, at(seconds)) === expected;
      }),
      { numRuns: 25 },
    );
  });
});
