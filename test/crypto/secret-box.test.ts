import { describe, expect, it } from 'vitest';
import { createSecretBox, generateKeyText, parseKey } from '../../src/crypto/secret-box.ts';

describe('secret box (AES-256-GCM with key ids)', () => {
  const oldKey = parseKey(generateKeyText());
  const newKey = parseKey(generateKeyText());

  it('opens what it sealed, and the sealed text does not contain the plaintext', () => {
    const box = createSecretBox([newKey]);
    const plaintext = Buffer.from('GEZDGNBVGY3TQOJQ secret material');
    const sealed = box.seal(plaintext, 'user:1');
    expect(sealed.startsWith(`${newKey.id}.`)).toBe(true);
    expect(sealed).not.toContain('GEZDGNBV');
    expect(box.open(sealed, 'user:1')?.equals(plaintext)).toBe(true);
    expect(box.seal(plaintext, 'user:1')).not.toBe(sealed);
  });

  it('refuses another row, a tampered value, an unknown key and garbage', () => {
    const box = createSecretBox([newKey]);
    const sealed = box.seal(Buffer.from('x'), 'user:1');
    expect(box.open(sealed, 'user:2')).toBeNull();
    const [id, iv, ct, tag] = sealed.split('.');
    const flipped = Buffer.from(ct!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(box.open([id, iv, flipped.toString('base64url'), tag].join('.'), 'user:1')).toBeNull();
    expect(createSecretBox([oldKey]).open(sealed, 'user:1')).toBeNull();
    expect(box.open('nonsense', 'user:1')).toBeNull();
  });

  it('rotates: new values use the first key, values sealed with an older key still open', () => {
    const before = createSecretBox([oldKey]).seal(Buffer.from('old'), 'a');
    const rotated = createSecretBox([newKey, oldKey]);
    expect(rotated.open(before, 'a')?.toString()).toBe('old');
    expect(rotated.seal(Buffer.from('new'), 'a').startsWith(`${newKey.id}.`)).toBe(true);
  });

  it('accepts keys as hex or base64 and refuses other lengths', () => {
    expect(parseKey('00'.repeat(32)).key.length).toBe(32);
    expect(() => parseKey('abc')).toThrow();
  });
});

describe('keyed MAC for codes', () => {
  const key = parseKey(generateKeyText());
  it('matches the same value under the same key only', () => {
    const box = createSecretBox([key]);
    const stored = box.mac('7KQ4M9XD2HTRPW6C');
    expect(stored).toMatch(new RegExp(`^${key.id}\\.[0-9a-f]{64}$`));
    expect(box.macMatches('7KQ4M9XD2HTRPW6C', stored)).toBe(true);
    expect(box.macMatches('7KQ4M9XD2HTRPW6D', stored)).toBe(false);
    expect(createSecretBox([parseKey(generateKeyText())]).macMatches('7KQ4M9XD2HTRPW6C', stored)).toBe(false);
    expect(box.macMatches('7KQ4M9XD2HTRPW6C', 'garbage')).toBe(false);
  });
  it('still verifies a MAC made with a rotated-out key', () => {
    const stored = createSecretBox([key]).mac('X');
    expect(createSecretBox([parseKey(generateKeyText()), key]).macMatches('X', stored)).toBe(true);
  });
});

describe('derived keys (HKDF)', () => {
  const key = parseKey(generateKeyText());
  it('derives one key per context and purpose, the same each time, apart from the MAC and sealing keys', () => {
    const box = createSecretBox([key]);
    const [a] = box.deriveKeys('keyward oidc cookies v1', 'instance-a');
    expect(a).toHaveLength(32);
    expect(box.deriveKeys('keyward oidc cookies v1', 'instance-a')[0]!.equals(a!)).toBe(true);
    expect(box.deriveKeys('keyward oidc cookies v1', 'instance-b')[0]!.equals(a!)).toBe(false);
    expect(box.deriveKeys('another purpose', 'instance-a')[0]!.equals(a!)).toBe(false);
    expect(a!.equals(key.key)).toBe(false);
  });
  it('lists the current key first and keeps the rotated-out key', () => {
    const newer = parseKey(generateKeyText());
    const [current, older] = createSecretBox([newer, key]).deriveKeys('p', 'c');
    expect(current!.equals(createSecretBox([newer]).deriveKeys('p', 'c')[0]!)).toBe(true);
    expect(older!.equals(createSecretBox([key]).deriveKeys('p', 'c')[0]!)).toBe(true);
  });
});
