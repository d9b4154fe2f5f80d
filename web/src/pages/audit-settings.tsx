/**
 * Settings → Audit (administrators): every security action in the instance, newest first, with
 * filters by action and by user, pages by cursor, and the same selection as a CSV download.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type Ref } from 'react';
import { api, type AuditEvent, type AuditQuery, type ListedUser } from '../api.ts';
import { actionText, actorText, AUDIT_ACTIONS, detailsText, eventTime, shortUserAgent } from '../audit-words.ts';
import { Alert, SelectField, TextField } from '../components/field.tsx';
import { errorText } from '../errors.ts';

export const AUDIT_PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;
const USER_MATCHES = 5;

interface PickedUser {
  id: string;
  label: string;
}

interface Filters {
  action: string;
  user: PickedUser | null;
}

type State =
  | { status: 'loading' }
  | { status: 'ready'; events: AuditEvent[]; nextCursor: string | null; loadingMore: boolean }
  | { status: 'failed'; message: string };

function toQuery(filters: Filters): Omit<AuditQuery, 'limit' | 'cursor'> {
  return { ...(filters.action ? { action: filters.action } : {}), ...(filters.user ? { userId: filters.user.id } : {}) };
}

export function AuditSettings() {
  const headingId = useId();
  const [filters, setFilters] = useState<Filters>({ action: '', user: null });
  const [state, setState] = useState<State>({ status: 'loading' });
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);
  const firstNewRow = useRef<string | null>(null);
  const table = useRef<HTMLTableElement>(null);

  const load = useCallback(async (shown: Filters) => {
    // Why a counter: an answer for earlier filters may arrive after the one now chosen.
    const request = ++latest.current;
    try {
      const page = await api.audit({ ...toQuery(shown), limit: AUDIT_PAGE_SIZE });
      if (request === latest.current) setState({ status: 'ready', ...page, loadingMore: false });
    } catch (failure) {
      if (request === latest.current) setState({ status: 'failed', message: errorText(failure, 'Loading the audit log failed.') });
    }
  }, []);

  useEffect(() => {
    void load(filters);
  }, [filters, load]);

  useEffect(() => {
    // After "Load more": keyboard and screen-reader users continue at the first row that arrived.
    if (!firstNewRow.current) return;
    table.current?.querySelector<HTMLElement>(`[data-event-id="${CSS.escape(firstNewRow.current)}"]`)?.focus();
    firstNewRow.current = null;
  }, [state]);

  const loadMore = async () => {
    if (state.status !== 'ready' || !state.nextCursor) return;
    const request = latest.current;
    setState({ ...state, loadingMore: true });
    setError(null);
    try {
      const page = await api.audit({ ...toQuery(filters), limit: AUDIT_PAGE_SIZE, cursor: state.nextCursor });
      if (request !== latest.current) return;
      firstNewRow.current = page.events[0]?.id ?? null;
      setState({ status: 'ready', events: [...state.events, ...page.events], nextCursor: page.nextCursor, loadingMore: false });
    } catch (failure) {
      if (request !== latest.current) return;
      setState({ ...state, loadingMore: false });
      setError(errorText(failure, 'Loading more events failed.'));
    }
  };

  const change = (next: Filters) => {
    setError(null);
    setFilters(next);
  };

  return (
    <section aria-labelledby={headingId}>
      <div className="section-header">
        <h2 id={headingId}>Audit log</h2>
        <div className="button-row">
          {/* A plain GET: the browser sends the session cookie and saves the attachment. */}
          <a className="button button-secondary" href={api.auditExportUrl(toQuery(filters))} download>
            Export CSV
          </a>
        </div>
      </div>
      <p className="muted">
        Every login, code, reset and change to users or settings in this instance, newest first. Nothing here can be changed
        or deleted. The export holds every event that matches the filters.
      </p>
      <div className="filter-bar audit-filters">
        <SelectField id="audit-action" label="Action" value={filters.action} onChange={(event) => change({ ...filters, action: event.target.value })}>
          <option value="">All actions</option>
          {Object.entries(AUDIT_ACTIONS).map(([action, label]) => (
            <option key={action} value={action}>
              {label}
            </option>
          ))}
        </SelectField>
        <UserFilter user={filters.user} onPick={(user) => change({ ...filters, user })} />
      </div>
      {error ? <Alert>{error}</Alert> : null}
      {state.status === 'loading' ? <p role="status">Loading…</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' ? (
        <>
          <p role="status" className="muted">
            {state.events.length === 0
              ? 'No events match.'
              : `Showing ${state.events.length === 1 ? '1 event' : `${state.events.length} events`}${state.nextCursor ? '; more to load' : ''}.`}
          </p>
          {state.events.length > 0 ? <EventTable ref={table} events={state.events} /> : null}
          {state.nextCursor ? (
            <div className="button-row">
              <button type="button" className="button button-secondary" disabled={state.loadingMore} onClick={() => void loadMore()}>
                Load more events
              </button>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

type Matches = { status: 'idle' } | { status: 'ready'; users: ListedUser[] } | { status: 'failed'; message: string };

/**
 * The user filter: type a name or email, pick one of the matching users (the filter needs the
 * user's id); the picked user shows with a button that clears the filter.
 */
function UserFilter({ user, onPick }: { user: PickedUser | null; onPick(user: PickedUser | null): void }) {
  const listId = useId();
  const [typed, setTyped] = useState('');
  const [matches, setMatches] = useState<Matches>({ status: 'idle' });
  const input = useRef<HTMLInputElement>(null);
  const latest = useRef(0);

  const search = useCallback(async (q: string) => {
    const request = ++latest.current;
    if (!q.trim()) return setMatches({ status: 'idle' });
    try {
      const { users } = await api.users({ q: q.trim(), limit: USER_MATCHES });
      if (request === latest.current) setMatches({ status: 'ready', users });
    } catch (failure) {
      if (request === latest.current) setMatches({ status: 'failed', message: errorText(failure, 'Searching the users failed.') });
    }
  }, []);

  useEffect(() => {
    const timer = setTimeout(() => void search(typed), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed, search]);

  const pick = (picked: ListedUser) => {
    onPick({ id: picked.id, label: `${picked.name} <${picked.email}>` });
    setTyped('');
    setMatches({ status: 'idle' });
  };

  const clear = () => {
    onPick(null);
    // The button goes away with the filter: focus moves to the search field that takes its place.
    setTimeout(() => input.current?.focus());
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Enter with exactly one match (or an exact email) picks it.
    if (matches.status !== 'ready') return;
    const exact = matches.users.find((candidate) => candidate.email.toLowerCase() === typed.trim().toLowerCase());
    const only = matches.users.length === 1 ? matches.users[0] : undefined;
    const chosen = exact ?? only;
    if (chosen) pick(chosen);
  };

  if (user) {
    return (
      <div className="field audit-user-picked">
        <span className="field-label">User</span>
        <p className="picked-user">
          <span>{user.label}</span>{' '}
          <button type="button" className="button button-secondary button-small" onClick={clear} aria-label={`Clear the user filter (${user.label})`}>
            Clear
          </button>
        </p>
      </div>
    );
  }
  return (
    <form role="search" aria-label="Filter by user" className="audit-user-search" onSubmit={submit}>
      <TextField
        id="audit-user"
        ref={input}
        label="User"
        type="search"
        autoComplete="off"
        spellCheck={false}
        hint="Type a name or email, then choose the user: their events as actor or as target."
        value={typed}
        onChange={(event) => setTyped(event.target.value)}
      />
      {matches.status === 'failed' ? <Alert>{matches.message}</Alert> : null}
      {matches.status === 'ready' ? (
        matches.users.length === 0 ? (
          <p role="status" className="field-hint">
            No user matches.
          </p>
        ) : (
          <ul id={listId} className="user-matches" aria-label="Matching users">
            {matches.users.map((candidate) => (
              <li key={candidate.id}>
                <button type="button" className="link-button" onClick={() => pick(candidate)}>
                  {candidate.name} <span className="muted">{candidate.email}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </form>
  );
}

function EventTable({ events, ref }: { events: AuditEvent[]; ref?: Ref<HTMLTableElement> }) {
  return (
    // Focusable: on narrow screens the table scrolls sideways, and keyboards must reach it too.
    <div className="table-scroll" role="region" aria-label="Audit events" tabIndex={0}>
      <table className="table audit-table" ref={ref}>
        <caption className="visually-hidden">Audit events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <EventRow key={event.id} event={event} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EventRow({ event }: { event: AuditEvent }) {
  const details = detailsText(event);
  return (
    <tr>
      <td className="audit-time">
        <time dateTime={event.at}>{eventTime(event.at)}</time>
      </td>
      <th scope="row" tabIndex={-1} data-event-id={event.id}>
        {actionText(event.action)}
        {details ? <span className="audit-details">{details}</span> : null}
      </th>
      <td>
        {event.actor.type === 'operator' ? (
          <>
            <PersonLabel text={actorText(event.actor)} />
            <span className="badge badge-support">Support</span>
          </>
        ) : (
          <PersonLabel text={actorText(event.actor)} />
        )}
      </td>
      <td>{event.target ? <PersonLabel text={event.target.label ?? 'A deleted user'} /> : <span className="muted">—</span>}</td>
      <td>
        {event.ip ? <code>{event.ip}</code> : null}
        <span className="audit-browser" title={event.userAgent ?? undefined}>
          {shortUserAgent(event.userAgent)}
        </span>
      </td>
    </tr>
  );
}

/** "Ada Admin <ada@example.com>" as a name with the address under it (long addresses wrap anywhere). */
function PersonLabel({ text }: { text: string }) {
  const match = /^(.*?)\s*<([^>]*)>$/.exec(text);
  if (!match) return <>{text}</>;
  return (
    <>
      {match[1]} <span className="audit-email">{match[2]}</span>
    </>
  );
}
