/**
 * Settings → Mail (administrators): the instance's mail that could not be delivered, and the
 * rest of the outbox behind a filter. Envelopes only: bodies may hold backup codes, so the server
 * never sends them here. Retry puts an undeliverable mail back in the queue; it is an admin change,
 * so it may need a step-up (SPEC rule 12).
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { api, ApiError, type OutboxEntry } from '../api.ts';
import { Alert, Notice, SelectField } from '../components/field.tsx';
import { TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';
import { formatTime } from '../time.ts';
import { messages, useMessages } from '../i18n/index.ts';

type Filter = 'dead' | 'waiting' | 'sent' | 'all';

const FILTERS: Filter[] = ['dead', 'waiting', 'sent', 'all'];

interface Listing {
  messages: OutboxEntry[];
  /** With the Undeliverable filter and nothing given up on: how many mails are still being tried. */
  waiting: number;
}

type State = { status: 'loading' } | { status: 'ready'; listing: Listing } | { status: 'failed'; message: string };

/** Waiting = queued and not given up on: `pending`, or `sending` right now. Newest first. */
async function waitingMail(): Promise<OutboxEntry[]> {
  const [pending, sending] = await Promise.all([api.mail('pending'), api.mail('sending')]);
  return [...pending.messages, ...sending.messages].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
}

async function loadListing(filter: Filter): Promise<Listing> {
  if (filter === 'waiting') return { messages: await waitingMail(), waiting: 0 };
  if (filter === 'sent' || filter === 'all')
    return { messages: (await api.mail(filter === 'all' ? undefined : 'sent')).messages, waiting: 0 };
  const { messages } = await api.mail('dead');
  // Why look further when nothing died: "all mail was delivered" must not hide mail still failing.
  return { messages, waiting: messages.length === 0 ? (await waitingMail()).length : 0 };
}

export function MailSettings() {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const filterSelect = useRef<HTMLSelectElement>(null);
  const { withStepUp, stepUpDialog } = useStepUp();
  const m = useMessages();
  const [filter, setFilter] = useState<Filter>('dead');
  const [state, setState] = useState<State>({ status: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  const load = useCallback(async (shown: Filter) => {
    // Why a counter: answers for an earlier filter may arrive after the one now selected.
    const request = ++latest.current;
    try {
      const listing = await loadListing(shown);
      if (request === latest.current) setState({ status: 'ready', listing });
    } catch (failure) {
      if (request === latest.current) setState({ status: 'failed', message: errorText(failure, messages().mail.loadFailed) });
    }
  }, []);

  useEffect(() => {
    void load(filter);
  }, [filter, load]);

  /** Another filter or a refresh: what was said about the previous list no longer applies. */
  const show = (next: Filter) => {
    setNotice(null);
    setError(null);
    if (next === filter) void load(filter);
    else setFilter(next);
  };

  /** From the empty state's button, which goes away with the list: focus moves to the filter it set. */
  const showWaiting = () => {
    show('waiting');
    filterSelect.current?.focus();
  };

  const retry = async (entry: OutboxEntry) => {
    setNotice(null);
    setError(null);
    try {
      await withStepUp(() => api.retryMail(entry.id));
      await load(filter);
      setNotice(m.mail.retried(entry.to));
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      if (failure instanceof ApiError && failure.code === 'not_found') setError(m.mail.alreadyRetried(entry.to));
      else setError(errorText(failure, m.mail.retryFailed));
      await load(filter);
    }
    // The row and its button are gone: keyboard and screen-reader users continue from the heading.
    heading.current?.focus();
  };

  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId} ref={heading} tabIndex={-1}>
        {m.mail.heading}
      </h2>
      <p className="muted">{m.mail.text}</p>
      <div className="filter-bar">
        <SelectField
          id="mail-filter"
          ref={filterSelect}
          label={m.mail.show}
          value={filter}
          onChange={(event) => show(event.target.value as Filter)}
        >
          {FILTERS.map((value) => (
            <option key={value} value={value}>
              {m.mail.filters[value].label}
            </option>
          ))}
        </SelectField>
        <button type="button" className="button button-secondary" onClick={() => show(filter)}>
          {m.mail.refresh}
        </button>
      </div>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      {state.status === 'loading' ? <p role="status">{m.common.loading}</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' ? (
        <MailTable filter={filter} listing={state.listing} onRetry={(entry) => void retry(entry)} onShowWaiting={showWaiting} />
      ) : null}
      {stepUpDialog}
    </section>
  );
}

interface TableProps {
  filter: Filter;
  listing: Listing;
  onRetry: (entry: OutboxEntry) => void;
  onShowWaiting: () => void;
}

function EmptyState({ filter, waiting, onShowWaiting }: { filter: Filter; waiting: number; onShowWaiting: () => void }) {
  const m = useMessages();
  if (filter !== 'dead' || waiting === 0) return <p className="empty-state">{m.mail.filters[filter].empty}</p>;
  return (
    <p className="empty-state">
      {m.mail.stillWaiting(waiting)}{' '}
      <button type="button" className="link-button" onClick={onShowWaiting}>
        {m.mail.showWaiting}
      </button>
    </p>
  );
}

function MailTable({ filter, listing, onRetry, onShowWaiting }: TableProps) {
  const m = useMessages();
  if (listing.messages.length === 0) return <EmptyState filter={filter} waiting={listing.waiting} onShowWaiting={onShowWaiting} />;
  const showStatus = filter === 'all' || filter === 'waiting';
  // Sent mail has no error left to show (a successful attempt clears it).
  const showError = filter !== 'sent';
  const showSent = filter === 'all' || filter === 'sent';
  const showActions = filter === 'all' || filter === 'dead';
  return (
    <div className="table-scroll">
      <table className="table mail-table">
        <caption className="visually-hidden">{m.mail.filters[filter].caption}</caption>
        <TableHead
          columns={[
            m.mail.recipient,
            m.mail.subject,
            ...(showStatus ? [m.mail.statusColumn] : []),
            m.mail.attempts,
            ...(showError ? [m.mail.lastError] : []),
            m.mail.queued,
            ...(showSent ? [m.mail.sentColumn] : []),
          ]}
          actions={showActions}
        />
        <tbody>
          {listing.messages.map((entry) => (
            <tr key={entry.id}>
              <th scope="row" className="mail-recipient">
                {entry.to}
              </th>
              <td>{entry.subject}</td>
              {showStatus ? <td>{m.mail.status[entry.status] ?? entry.status}</td> : null}
              <td>{entry.attempts}</td>
              {showError ? <td className="mail-error">{entry.lastError ?? <span className="muted">{m.mail.none}</span>}</td> : null}
              <td>
                <Time value={entry.createdAt} />
              </td>
              {showSent ? <td>{entry.sentAt ? <Time value={entry.sentAt} /> : <span className="muted">{m.mail.notYet}</span>}</td> : null}
              {showActions ? (
                <td className="table-action">
                  {/* Why only for dead mail: the rest is still being tried; the server answers 404 for it. */}
                  {entry.status === 'dead' ? (
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={m.mail.retryFor(entry.to, entry.subject)}
                      onClick={() => onRetry(entry)}
                    >
                      {m.mail.retry}
                    </button>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Time({ value }: { value: string }) {
  const at = new Date(value);
  return <time dateTime={value}>{formatTime(at)}</time>;
}
