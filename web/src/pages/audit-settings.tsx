/**
 * Settings → Audit (administrators): every security action in the instance, newest first, with
 * filters by action, by user or support operator (pick an actor in the table) and by date range,
 * pages by cursor, and the same selection as a CSV download.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type Ref } from 'react';
import { api, type AuditAction, type AuditEvent, type AuditQuery, type ListedUser } from '../api.ts';
import { actionText, actorText, detailsText, instanceAuditActions } from '../audit-words.ts';
import { EventFromCell, EventTimeCell } from '../components/event-cells.tsx';
import { Alert, SearchField, SelectField, TextField } from '../components/field.tsx';
import { PagedResults, SEARCH_DELAY_MS, usePagedList } from '../components/paged-list.tsx';
import { ScrollRegion, TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { messages, useMessages } from '../i18n/index.ts';

export const AUDIT_PAGE_SIZE = 50;
const USER_MATCHES = 5;

interface PickedUser {
  id: string;
  label: string;
}

interface Filters {
  action: AuditAction | '';
  user: PickedUser | null;
  /** Days as the date fields give them ("2026-12-01"), in the browser's time zone; '' for open. */
  fromDay: string;
  toDay: string;
}

/** The start of a local day ("2026-12-01") as an ISO instant, `plusDays` later; null when not a day. */
function dayStart(day: string, plusDays = 0): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const at = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

function toQuery(filters: Filters): Omit<AuditQuery, 'limit' | 'cursor'> {
  // "To" includes its whole day: the range ends where the next day starts.
  const from = dayStart(filters.fromDay);
  const to = dayStart(filters.toDay, 1);
  return {
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.user ? { userId: filters.user.id } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/** A range whose end comes before its start finds nothing; say so instead of asking the server. */
function rangeError(filters: Filters): string | null {
  return filters.fromDay && filters.toDay && filters.toDay < filters.fromDay ? messages().auditLog.badRange : null;
}

const fetchEvents = (filters: Filters, cursor?: string) =>
  api.audit({ ...toQuery(filters), limit: AUDIT_PAGE_SIZE, ...(cursor ? { cursor } : {}) });

export function AuditSettings() {
  const headingId = useId();
  const m = useMessages();
  const [filters, setFilters] = useState<Filters>({ action: '', user: null, fromDay: '', toDay: '' });
  const badRange = rangeError(filters);
  const [error, setError] = useState<string | null>(null);
  const list = usePagedList({
    query: badRange ? { ...filters, toDay: '' } : filters,
    rows: 'events',
    fetch: fetchEvents,
    loadFailed: m.auditLog.loadFailed,
    moreFailed: m.auditLog.moreFailed,
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
        <h2 id={headingId}>{m.auditLog.heading}</h2>
        <div className="button-row">
          {/* A plain GET: the browser sends the session cookie and saves the attachment. */}
          <a className="button button-secondary" href={api.auditExportUrl(toQuery(filters))} download>
            {m.auditLog.export}
          </a>
        </div>
      </div>
      <p className="muted">{m.auditLog.text}</p>
      <div className="filter-bar audit-filters">
        <SelectField
          id="audit-action"
          label={m.auditLog.action}
          value={filters.action}
          onChange={(event) => change({ ...filters, action: event.target.value as AuditAction | '' })}
        >
          <option value="">{m.auditLog.allActions}</option>
          {instanceAuditActions().map(([action, label]) => (
            <option key={action} value={action}>
              {label}
            </option>
          ))}
        </SelectField>
        <UserFilter user={filters.user} onPick={(user) => change({ ...filters, user })} />
        <TextField
          id="audit-from"
          label={m.auditLog.from}
          type="date"
          value={filters.fromDay}
          onChange={(event) => change({ ...filters, fromDay: event.target.value })}
        />
        <TextField
          id="audit-to"
          label={m.auditLog.to}
          type="date"
          value={filters.toDay}
          error={badRange ?? undefined}
          onChange={(event) => change({ ...filters, toDay: event.target.value })}
        />
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <PagedResults
        list={list}
        one={m.auditLog.one}
        many={m.auditLog.many}
        onLoadMore={() => {
          setError(null);
          void list.loadMore();
        }}
      >
        {(page) => <EventTable ref={list.table} events={page.events} onPickActor={(user) => change({ ...filters, user })} />}
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
  const m = useMessages();
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
      if (request === latest.current) setMatches({ status: 'failed', message: errorText(failure, messages().auditLog.userSearchFailed) });
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
        <span className="field-label">{m.auditLog.user}</span>
        <p className="picked-user">
          <span>{user.label}</span>{' '}
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={clear}
            aria-label={m.auditLog.clearFor(user.label)}
          >
            {m.auditLog.clear}
          </button>
        </p>
      </div>
    );
  }
  return (
    <form role="search" aria-label={m.auditLog.filterByUser} className="audit-user-search" onSubmit={submit}>
      <SearchField id="audit-user" ref={input} label={m.auditLog.user} hint={m.auditLog.userHint} value={typed} onChange={setTyped} />
      {matches.status === 'failed' ? <Alert>{matches.message}</Alert> : null}
      {matches.status === 'ready' ? (
        matches.users.length === 0 ? (
          <p role="status" className="field-hint">
            {m.auditLog.noUser}
          </p>
        ) : (
          <ul id={listId} className="user-matches" aria-label={m.auditLog.matchingUsers}>
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

type PickActor = (actor: PickedUser) => void;

function EventTable({ events, ref, onPickActor }: { events: AuditEvent[]; ref?: Ref<HTMLTableElement>; onPickActor: PickActor }) {
  const m = useMessages();
  return (
    <ScrollRegion label={m.auditLog.events}>
      <table className="table audit-table" ref={ref}>
        <caption className="visually-hidden">{m.auditLog.caption}</caption>
        <TableHead columns={[m.auditLog.columnTime, m.auditLog.action, m.auditLog.columnActor, m.auditLog.columnTarget, m.activity.from]} />
        <tbody>
          {events.map((event) => (
            <EventRow key={event.id} event={event} onPickActor={onPickActor} />
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function EventRow({ event, onPickActor }: { event: AuditEvent; onPickActor: PickActor }) {
  const m = useMessages();
  const details = detailsText(event);
  const { actor } = event;
  // Support operators are no users of the instance, so the user search cannot find them: their
  // name in the table picks them for the filter (their events here, as actor).
  const pickable = actor.type === 'operator' && actor.id !== null;
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
            {pickable ? (
              <button
                type="button"
                className="link-button"
                aria-label={m.auditLog.onlyEventsOf(actorText(actor))}
                onClick={() => onPickActor({ id: actor.id!, label: m.auditLog.supportLabel(actorText(actor)) })}
              >
                <PersonLabel text={actorText(event.actor)} />
              </button>
            ) : (
              <PersonLabel text={actorText(event.actor)} />
            )}
            <span className="badge badge-support">{m.auditLog.support}</span>
          </>
        ) : (
          <PersonLabel text={actorText(event.actor)} />
        )}
      </td>
      <td>{event.target ? <PersonLabel text={event.target.label ?? m.auditLog.deletedUser} /> : <span className="muted">—</span>}</td>
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
