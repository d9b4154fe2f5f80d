import type { User } from '../account/user.ts';

/** One (associated, enabled) combination: how a user's own 2FA state is stored. */
export interface TwoFactorPair {
  associated: boolean;
  enabled: boolean;
}

export type UserSort = 'email' | 'name';

export interface UserPageQuery {
  /** Only users in one of these pairs; null: everyone. An empty list matches nobody. */
  pairs: TwoFactorPair[] | null;
  /**
   * The search as typed: trimmed and in Unicode NFC, not lower-cased. Three characters or more
   * are found anywhere in the email or the name (trigram index); fewer, as a prefix of either. The
   * store lower-cases it per field the way that field's stored key was lower-cased, so the search
   * and the order share one key (see ListedUser.sortKey).
   */
  prefix: string | null;
  sort: UserSort;
  /** The `sortKey` and id of the last row of the previous page. */
  after: { key: string; id: string } | null;
  limit: number;
}

export interface ListedUser extends User {
  associated: boolean;
  /** No password yet: the user was invited (or imported without one) and has not chosen it. */
  invited: boolean;
  /**
   * The row's key in the query's order, exactly as the store orders by it; opaque to the domain,
   * which hands it back in `after` (in the cursor). The store computes it, not the domain: a key
   * recomputed elsewhere can differ (PostgreSQL's lower() and JavaScript's toLowerCase() do).
   */
  sortKey: string;
}

/** The Users list of one instance: keyset pages on indexes, counts without counting rows. */
export interface UserDirectoryStore {
  page(query: UserPageQuery): Promise<ListedUser[]>;
  /**
   * How many users match the search and pairs of `query` (its sort, cursor and limit ignored),
   * counting at most `cap + 1`: a number above `cap` means "more than cap".
   */
  countMatches(query: Pick<UserPageQuery, 'pairs' | 'prefix'>, cap: number): Promise<number>;
  /** How many users have each (associated, enabled) pair (kept by a trigger). */
  counts(): Promise<Array<TwoFactorPair & { n: number }>>;
  /**
   * Queues `mail` (the same for everyone) to every active user whose own 2FA is off and who was not
   * asked since `askedBefore`, marking them asked; one statement. Returns how many.
   */
  requestTwoFactor(mail: { subject: string; text: string; html: string }, now: Date, askedBefore: Date): Promise<number>;
  /** Daily snapshots of the counts, oldest first, from `since`. */
  adoption(since: Date): Promise<Array<{ day: string; active: number; pending: number; off: number }>>;
}
