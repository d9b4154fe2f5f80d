/**
 * docs/forward-auth.md shows the proxy configurations the tests run (examples/forward-auth/,
 * started by test/forward-auth/proxies.test.ts): a change to one without the other fails here,
 * so the page never shows an untested configuration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const page = fs.readFileSync(path.join(root, 'docs/forward-auth.md'), 'utf8');

/** The fenced blocks of `page` in language `lang`. */
function blocks(lang: string): string[] {
  return [...page.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((match) => match[1]!);
}

describe('docs/forward-auth.md', () => {
  it.each([
    ['nginx', 'examples/forward-auth/nginx.conf'],
    ['caddyfile', 'examples/forward-auth/Caddyfile'],
  ])('shows the tested %s configuration unchanged', (lang, file) => {
    expect(blocks(lang)).toEqual([fs.readFileSync(path.join(root, file), 'utf8')]);
  });
});
