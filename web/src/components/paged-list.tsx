/**
 * A list the server gives in pages by cursor (Settings → Users, Settings → Audit, the support
 * console's users): loaded again whenever its query changes, "Load more" for the next page, a
 * polite count of what is shown, and a search box that the list follows after a pause in typing.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { errorText } from '../errors.ts';
import { Alert } from './field.tsx';
import { useMessages } from '../i18n/index.ts';

/** How long typing pauses before a list follows its search box. */
export const SEARCH_DELAY_MS = 250;

/** One page as the server answers it: `K` names its rows (`users`, `events`). */
type Paged<K extends string> = { nextCursor: string | null } & { [key in K]: { id: string }[] };

export type PagedState<P> =
  { status: 'loading' } | { status: 'ready'; page: P; loadingMore: boolean } | { status: 'failed'; message: string };

interface Options<Q, K extends string, P extends Paged<K>> {
  query: Q;
  /** Which field of a page holds its rows. */
  rows: K;
  /** A page for the query; a new function (memoized on what it reads) loads the list again. */
  fetch: (query: Q, cursor?: string) => Promise<P>;
  /** Failures handled elsewhere (the session ended), true when nothing more is to be shown; memoized like `fetch`. */
  handled?: ((failure: unknown) => boolean) | undefined;
  loadFailed: string;
  moreFailed: string;
  /** A failed "Load more": the rows shown stay, and the message is the caller's to show. */
  onMoreFailed: (message: string) => void;
  /** After "Load more", focus moves to the first row that arrived: the attribute holding each row's id. */
  rowIdAttribute?: string;
}

export function usePagedList<Q, K extends string, P extends Paged<K>>(options: Options<Q, K, P>) {
  const { query, rows, fetch, handled, loadFailed, moreFailed, onMoreFailed, rowIdAttribute } = options;
  const [state, setState] = useState<PagedState<P>>({ status: 'loading' });
  const latest = useRef(0);
  const firstNewRow = useRef<string | null>(null);
  const table = useRef<HTMLTableElement>(null);

  const load = useCallback(
    async (shown: Q) => {
      // Why a counter: an answer for an earlier query may arrive after the one now asked.
      const request = ++latest.current;
      try {
        const page = await fetch(shown);
        if (request === latest.current) setState({ status: 'ready', page, loadingMore: false });
      } catch (failure) {
        if (handled?.(failure)) return;
        if (request === latest.current) setState({ status: 'failed', message: errorText(failure, loadFailed) });
      }
    },
    [fetch, handled, loadFailed],
  );

  useEffect(() => {
    void load(query);
  }, [query, load]);

  useEffect(() => {
    // After "Load more": keyboard and screen-reader users continue at the first row that arrived.
    if (!firstNewRow.current || !rowIdAttribute) return;
    table.current?.querySelector<HTMLElement>(`[${rowIdAttribute}="${CSS.escape(firstNewRow.current)}"]`)?.focus();
    firstNewRow.current = null;
  }, [state, rowIdAttribute]);

  const loadMore = async () => {
    if (state.status !== 'ready' || !state.page.nextCursor) return;
    const request = latest.current;
    setState({ ...state, loadingMore: true });
    try {
      const next = await fetch(query, state.page.nextCursor);
      if (request !== latest.current) return;
      if (rowIdAttribute) firstNewRow.current = next[rows][0]?.id ?? null;
      // What a later page leaves out (the Users list's count of a search, issue 13) stays the first page's.
      const page = { ...state.page, ...next, [rows]: [...state.page[rows], ...next[rows]] } as P;
      setState({ status: 'ready', page, loadingMore: false });
    } catch (failure) {
      if (handled?.(failure)) return;
      if (request !== latest.current) return;
      setState({ ...state, loadingMore: false });
      onMoreFailed(errorText(failure, moreFailed));
    }
  };

  /** Loads the first page again (after a change to what it lists). */
  const reload = () => load(query);

  return { state, rows, table, loadMore, reload };
}

/**
 * What a paged list shows below its filters: "Loading…", the failure, or the count ("Showing 3
 * users; more to load."), the table (`children`, only with rows) and "Load more users".
 */
export function PagedResults<K extends string, P extends Paged<K>>({
  list,
  one,
  many,
  onLoadMore,
  summary,
  children,
}: {
  list: { state: PagedState<P>; rows: K; loadMore: () => Promise<void> };
  /** "user" / "users": the rows as the count and the button name them. */
  one: string;
  many: string;
  /** Instead of `list.loadMore` (for a caller that clears its messages first). */
  onLoadMore?: () => void;
  /** The count line in the caller's words (the Users list: "25 of 131 users"). */
  summary?: (page: P) => string;
  children: (page: P) => ReactNode;
}) {
  const m = useMessages();
  const { state } = list;
  if (state.status === 'loading') return <p role="status">{m.common.loading}</p>;
  if (state.status === 'failed') return <Alert>{state.message}</Alert>;
  const shown = state.page[list.rows].length;
  const more = Boolean(state.page.nextCursor);
  return (
    <>
      <p role="status" className="muted">
        {summary ? summary(state.page) : shown === 0 ? m.lists.noMatch(many) : m.lists.showing(shown, one, many, more)}
      </p>
      {shown > 0 ? children(state.page) : null}
      {more ? (
        <div className="button-row">
          <button
            type="button"
            className="button button-secondary"
            disabled={state.loadingMore}
            onClick={onLoadMore ?? (() => void list.loadMore())}
          >
            {m.lists.loadMore(many)}
          </button>
        </div>
      ) : null}
    </>
  );
}

/**
 * What is typed in a list's search box: the list follows `applied` (set with `apply`, which must
 * not change) after a pause in typing, or at once when the search form is submitted (Enter).
 */
export function useTypedSearch(applied: string, apply: (q: string) => void) {
  const [typed, setTyped] = useState(applied);

  // The applied search can change from outside (Back, a link): the box follows it.
  useEffect(() => setTyped(applied), [applied]);

  useEffect(() => {
    if (typed === applied) return;
    const timer = setTimeout(() => apply(typed), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed, applied, apply]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(typed);
  };

  return { typed, setTyped, submit };
}
