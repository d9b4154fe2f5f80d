import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import Keygrip from 'keygrip';
import { cookieSigner } from '../../src/crypto/cookie-signer.ts';

// keygrip takes Buffers as oidc-provider gave it them (createHmac's keys); its types say strings.
const keygrip = (keys: Buffer[]) => new Keygrip(keys as unknown as string[]);
const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes));

describe('the OIDC cookie signer', () => {
  it("signs as keygrip's default does, so cookies signed before it keep verifying, and verifies keygrip's signatures", () => {
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 3 }), fc.string({ unit: 'binary' }), (keys, data) => {
        const ours = cookieSigner(keys);
        const theirs = keygrip(keys);
        expect(ours.sign(data)).toBe(theirs.sign(data));
        for (const [i, signing] of keys.entries()) {
          const signed = keygrip([signing]).sign(data);
          // The first key that signs it: keys may repeat.
          expect(ours.index(data, signed)).toBe(theirs.index(data, signed));
          expect(ours.index(data, signed)).toBeLessThanOrEqual(i);
          expect(ours.verify(data, signed)).toBe(true);
        }
      }),
    );
  });

  it('verifies a cookie signed with an older key of the rotation, and signs with the first', () => {
    const [current, previous] = [randomBytes(32), randomBytes(32)];
    const signer = cookieSigner([current, previous]);
    const old = cookieSigner([previous]).sign('_session=abc');
    expect(signer.index('_session=abc', old)).toBe(1);
    expect(signer.sign('_session=abc')).toBe(cookieSigner([current]).sign('_session=abc'));
    expect(signer.index('_session=abc', signer.sign('_session=abc'))).toBe(0);
  });

  it('refuses a signature of other data, another key, a changed or cut digest, and an empty one', () => {
    const signer = cookieSigner([randomBytes(32)]);
    const digest = signer.sign('_interaction=uid-1');
    expect(signer.verify('_interaction=uid-2', digest)).toBe(false);
    expect(signer.verify('_interaction=uid-1', cookieSigner([randomBytes(32)]).sign('_interaction=uid-1'))).toBe(false);
    const flipped = `${digest.slice(0, -1)}${digest.endsWith('A') ? 'B' : 'A'}`;
    expect(signer.verify('_interaction=uid-1', flipped)).toBe(false);
    expect(signer.verify('_interaction=uid-1', digest.slice(0, -1))).toBe(false);
    expect(signer.verify('_interaction=uid-1', `${digest}=`)).toBe(false);
    expect(signer.index('_interaction=uid-1', '')).toBe(-1);
    expect(signer.index('_interaction=uid-1', undefined as unknown as string)).toBe(-1);
  });

  it('needs a key', () => {
    expect(() => cookieSigner([])).toThrow();
  });
});
