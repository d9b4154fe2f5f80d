/** The per-request shortcuts of issue 16 answer as the long way did. */
import { describe, expect, it } from 'vitest';
import { unstorableField } from '../../src/http/plugins/text-guard.ts';

describe('the text guard', () => {
  it('finds unstorable text in values, keys, arrays and nesting, with its path', () => {
    expect(unstorableField({ a: 'ok', b: ['ok', { c: 'x\u0000' }] })).toBe('b[1].c');
    expect(unstorableField({ ['k\u0000']: 'v' })).toBe('body');
    expect(unstorableField({ nested: { ['\ud800']: 1 } })).toBe('nested');
    expect(unstorableField(['ok', '\udc00'])).toBe('[1]');
    expect(unstorableField('\ud83d\ude00 fine')).toBeNull();
    expect(unstorableField('\u0000')).toBe('body');
    expect(unstorableField({ a: 1, b: null, c: [true, 2, 'fine'], d: { e: 'ü' } })).toBeNull();
    expect(unstorableField(undefined)).toBeNull();
    const bare = Object.assign(Object.create(null) as object, { q: 'a\u0000' });
    expect(unstorableField(bare, '')).toBe('q');
  });
});
