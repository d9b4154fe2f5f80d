/**
 * Settings → Audit (administrators): every security action in the instance, newest first, with
 * filters by action and by user, pages by cursor, and the same selection as a CSV download.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type Ref } from 'react';
import { api, type AuditAction, type AuditEvent, type AuditQuery, type ListedUser } from '../api.ts';
import { actionText, actorText, detailsText, INSTANCE_AUDIT_ACTIONS } from '../audit-words.ts';
import { EventFromCell, EventTimeCell } from '../components/event-cells.tsx';
import { Alert, SearchField, SelectField } from '../components/field.tsx';
import { PagedResults, SEARCH_DELAY_MS, usePagedList } from '../components/paged-list.tsx';
import { ScrollRegion, TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';

export const AUDIT_PAGE_SIZE = 50;
const USER_MATCHES = 5;

interface PickedUser {
  id: string;
  label: string;
}

interface Filters {
  action: AuditAction | '';
  user: PickedUser | null;
}

function toQuery(filters: Filters): Omit<AuditQuery, 'limit' | 'cursor'> {
  return { ...(filters.action ? { action: filters.action } : {}), ...(filters.user ? { userId: filters.user.id } : {}) };
}

const fetchEvents = (filters: Filters, cursor?: string) =>
  api.audit({ ...toQuery(filters), limit: AUDIT_PAGE_SIZE, ...(cursor ? { cursor } : {}) });

export function AuditSettings() {
  const headingId = useId();
  const [filters, setFilters] = useState<Filters>({ action: '', user: null });
  const [error, setError] = useState<string | null>(null);
  const list = usePagedList({
    query: filters,
    rows: 'events',
    fetch: fetchEvents,
    loadFailed: 'Loading the audit log failed.',
    moreFailed: 'Loading more events failed.',
    onMoreFailed: setError,
    rowIdAttribute: 'data-event-id',
  });

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
        Every login, code, reset and change to users or settings in this instance, newest first. Nothing here can be changed or deleted. The
        export holds every event that matches the filters.
      </p>
      <div className="filter-bar audit-filters">
        <SelectField
          id="audit-action"
          label="Action"
          value={filters.action}
          onChange={(event) => change({ ...filters, action: event.target.value as AuditAction | '' })}
        >
          <option value="">All actions</option>
          {INSTANCE_AUDIT_ACTIONS.map(([action, label]) => (
            <option key={action} value={action}>
              {label}
            </option>
          ))}
        </SelectField>
        <UserFilter user={filters.user} onPick={(user) => change({ ...filters, user })} />
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <PagedResults
        list={list}
        one="event"
        many="events"
        onLoadMore={() => {
          setError(null);
          void list.loadMore();
        }}
      >
        {(page) => <EventTable ref={list.table} events={page.events} />}
      </PagedResults>
    </section>
  );
}

type Matches = { status: 'idle' } | { status: 'ready'; users: ListedUser[] } | { status: 'failed'; message: string };

/**
 * The user filter: type a name or email, pick one of the matching users (the filter needs the
 * user's id); the picked user shows with a button that clears the filter.
 */
function UserFilter({ user, onPick }: { user: PickedUser | null; onPick: (user: PickedUser | null) => void }) {
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
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={clear}
            aria-label={`Clear the user filter (${user.label})`}
          >
            Clear
          </button>
        </p>
      </div>
    );
  }
  return (
    <form role="search" aria-label="Filter by user" className="audit-user-search" onSubmit={submit}>
      <SearchField
        id="audit-user"
        ref={input}
        label="User"
        hint="Type a name or email, then choose the user: their events as actor or as target."
        value={typed}
        onChange={setTyped}
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
    <ScrollRegion label="Audit events">
      <table className="table audit-table" ref={ref}>
        <caption className="visually-hidden">Audit events, newest first</caption>
        <TableHead columns={['Time', 'Action', 'Actor', 'Target', 'From']} />
        <tbody>
          {events.map((event) => (
            <EventRow key={event.id} event={event} />
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function EventRow({ event }: { event: AuditEvent }) {
  const details = detailsText(event);
  return (
    <tr>
      <EventTimeCell event={event} />
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
      <EventFromCell event={event} />
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
