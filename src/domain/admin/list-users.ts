import { invalidInput } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { requireAdminAccess } from '../instance/require-admin.ts';
import type { AdminCaller } from '../oidc/machine-access.ts';
import { describeTwoFactor, type TwoFactorState, type TwoFactorStatus } from '../account/describe-me.ts';
import type { PasswordPolicy } from '../policy/policy.ts';
import { effectiveTwoFactorStatus } from '../policy/two-factor-rules.ts';
import type { Instance } from '../instance/instance.ts';
import type { Role, UserStatus } from '../account/user.ts';
import type { ListedUser, TwoFactorPair, UserDirectoryStore, UserSort } from './user-directory.ts';

export interface UserListItem {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  /** No password yet (issue 13): the Users list shows "Invited" and offers to resend the invitation. */
  invited: boolean;
  twoFactor: TwoFactorState;
}

export interface UserList {
  users: UserListItem[];
  nextCursor: string | null;
  counts: Record<TwoFactorStatus, number>;
  /**
   * How many users match the search and filter ("25 of 131"), at most MATCH_COUNT_CAP. Absent on
   * a later page (a cursor) of a search: the first page's count holds for the list.
   */
  matches?: number;
  /** More than `matches` match: the list says "10,000+". Absent with `matches`. */
  matchesCapped?: boolean;
}

export const MAX_PAGE_SIZE = 100;

/**
 * Where counting the matches of a search stops (issue 13): counting is bounded so a search that
 * matches most of a million users costs what 10,000 rows cost (docs/performance.md).
 */
export const MATCH_COUNT_CAP = 10_000;

/**
 * The stored (app, own switch) pairs that occur: an app implies the switch is on (confirming an
 * app turns it on, turning 2FA off removes the app), so the list query needs no fourth branch.
 */
const STORED_PAIRS: readonly TwoFactorPair[] = [
  { associated: true, enabled: true },
  { associated: false, enabled: true },
  { associated: false, enabled: false },
];

/**
 * The stored pairs behind an effective status (SPEC §1), the inverse of effectiveTwoFactorStatus
 * under the instance's policy: with auto-enable, a user whose own switch is off is `pending` too.
 */
export function pairsFor(status: TwoFactorStatus, policy: PasswordPolicy): TwoFactorPair[] {
  return STORED_PAIRS.filter((pair) => effectiveTwoFactorStatus(policy, pair) === status);
}

/** GET /admin/users: search, filter by 2FA status, sort, cursor pages, counts by status. */
export async function listUsers(
  deps: Deps,
  active: AdminCaller,
  query: { q?: string; twoFactor?: TwoFactorStatus; limit?: number; cursor?: string; sort?: UserSort },
): Promise<UserList> {
  requireAdminAccess(deps, active, 'keyward:users:read', false);
  return listInstanceUsers(deps, active.instance, query);
}

export type UserListQuery = { q?: string; twoFactor?: TwoFactorStatus; limit?: number; cursor?: string; sort?: UserSort };

/** The user list of one instance, for its administrators and for the support console. */
export async function listInstanceUsers(deps: Deps, instance: Instance, query: UserListQuery): Promise<UserList> {
  const policy = instance.policy;
  const sort = query.sort ?? 'email';
  const limit = query.limit ?? 50;
  const directory = deps.stores.forInstance(instance.id).directory;
  const pairs = query.twoFactor ? pairsFor(query.twoFactor, policy) : null;
  const prefix = searchPrefix(query.q);
  const rows = await directory.page({
    pairs,
    prefix,
    sort,
    after: query.cursor ? decodeCursor(query.cursor, sort) : null,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const counts = countByStatus(await directory.counts(), policy);
  const matched = await countMatches(directory, counts, { pairs, prefix, twoFactor: query.twoFactor, later: Boolean(query.cursor) });
  return {
    users: page.map((user) => item(user, policy)),
    nextCursor: rows.length > limit && last ? encodeCursor(sort, last.sortKey, last.id) : null,
    counts,
    ...(matched === null ? {} : { matches: Math.min(matched, MATCH_COUNT_CAP), matchesCapped: matched > MATCH_COUNT_CAP }),
  };
}

/**
 * Without a search the counters answer exactly (no row is counted); a search counts its matches,
 * bounded, on its first page only: "Load more" keeps that count (issue 13), so paging a search
 * that matches most of a million users does not count 10,000 rows again per page. Null: not counted.
 */
async function countMatches(
  directory: UserDirectoryStore,
  counts: Record<TwoFactorStatus, number>,
  query: { pairs: TwoFactorPair[] | null; prefix: string | null; twoFactor?: TwoFactorStatus; later: boolean },
): Promise<number | null> {
  if (!query.prefix) return query.twoFactor ? counts[query.twoFactor] : counts.active + counts.pending + counts.off;
  if (query.later) return null;
  return directory.countMatches({ pairs: query.pairs, prefix: query.prefix }, MATCH_COUNT_CAP);
}

function item(user: ListedUser, policy: PasswordPolicy): UserListItem {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    status: user.status,
    invited: user.invited,
    twoFactor: describeTwoFactor(policy, user, user.associated),
  };
}

export function countByStatus(pairs: Array<TwoFactorPair & { n: number }>, policy: PasswordPolicy): Record<TwoFactorStatus, number> {
  const counts = { active: 0, pending: 0, off: 0 };
  for (const pair of pairs) {
    counts[effectiveTwoFactorStatus(policy, pair)] += pair.n;
  }
  return counts;
}

/**
 * What was typed, trimmed and in NFC, the form email_key is stored in (emailKey) and names are
 * typed in on most systems, so a decomposed "zoë" (e + U+0308, as some input methods and pastes
 * send it) finds the composed one. Not lower-cased here: the store lower-cases it as each field's
 * key was (user-directory-store.ts says why).
 */
function searchPrefix(q: string | undefined): string | null {
  return q?.trim().normalize('NFC') || null;
}

/** Opaque to clients: the sort, and the last row's key (the store's, never recomputed here) and id. */
function encodeCursor(sort: UserSort, key: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, key, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, sort: UserSort): { key: string; id: string } {
  try {
    const [cursorSort, key, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string, string];
    if (cursorSort !== sort || typeof key !== 'string' || typeof id !== 'string') throw new Error('mismatch');
    return { key, id };
  } catch {
    throw invalidInput('cursor', 'This cursor does not belong to this list; start from the first page.');
  }
}
