/**
 * My Profile → Sessions: every browser logged in to this account now, with this one marked.
 * Ending a session logs that browser out at its next request; "End all other sessions" keeps
 * only this one (what to do after a lost laptop or a shared computer).
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type ActiveSession } from '../api.ts';
import { Alert, Notice } from '../components/field.tsx';
import { errorText } from '../errors.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { formatTime } from '../time.ts';
import { messages, useMessages } from '../i18n/index.ts';

type State = { status: 'loading' } | { status: 'ready'; sessions: ActiveSession[]; more: boolean } | { status: 'failed'; message: string };

export function Sessions() {
  const { forget } = useSession();
  const m = useMessages();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const { sessions, more } = await api.sessions();
      setState({ status: 'ready', sessions, more });
    } catch (failure) {
      setState({ status: 'failed', message: errorText(failure, messages().sessions.failed) });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const end = async (work: () => Promise<string>) => {
    setError(null);
    setNotice(null);
    try {
      const done = await work();
      await load();
      // After the list: the announcement describes what the page now shows.
      setNotice(done);
    } catch (failure) {
      // 404: it ended meanwhile (it expired, or another browser ended it); the list says so.
      if (!(failure instanceof ApiError && failure.code === 'not_found')) setError(errorText(failure, m.sessions.endFailed));
      await load();
    }
  };

  const endOne = (session: ActiveSession) => {
    if (session.current) {
      // Ending this browser's session is logging out.
      void api.endSession(session.id).then(
        () => {
          forget();
          navigate('/login');
        },
        (failure: unknown) => setError(errorText(failure, m.shell.logOutFailed)),
      );
      return;
    }
    void end(async () => {
      await api.endSession(session.id);
      return m.sessions.loggedOut(session.device, session.network);
    });
  };

  const endOthers = () =>
    void end(async () => {
      const { ended } = await api.endOtherSessions();
      return ended === 0 ? m.sessions.noOther : m.sessions.endedOthers(ended);
    });

  return (
    <section aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">{m.sessions.heading}</h2>
      <p className="muted">{m.sessions.text}</p>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      {state.status === 'loading' ? <p role="status">{m.common.loading}</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' ? (
        <SessionTable sessions={state.sessions} more={state.more} onEnd={endOne} onEndOthers={endOthers} />
      ) : null}
    </section>
  );
}

interface TableProps {
  sessions: ActiveSession[];
  more: boolean;
  onEnd: (session: ActiveSession) => void;
  onEndOthers: () => void;
}

function SessionTable({ sessions, more, onEnd, onEndOthers }: TableProps) {
  const m = useMessages();
  const others = more || sessions.some((session) => !session.current);
  return (
    <>
      <div className="table-scroll">
        <table className="table sessions-table">
          <caption className="visually-hidden">{m.sessions.caption}</caption>
          <thead>
            <tr>
              <th scope="col">{m.locations.device}</th>
              {/* On a phone the network moves under the device name (session-narrow). */}
              <th scope="col" className="session-wide">
                {m.locations.network}
              </th>
              <th scope="col">{m.locations.lastUsed}</th>
              <th scope="col">
                <span className="visually-hidden">{m.common.actions}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => (
              <SessionRow key={session.id} session={session} onEnd={() => onEnd(session)} />
            ))}
          </tbody>
        </table>
      </div>
      {more ? <p className="muted">{m.sessions.onlyRecent(sessions.length)}</p> : null}
      {others ? (
        <div className="button-row">
          <button type="button" className="button button-secondary" onClick={onEndOthers}>
            {m.sessions.endOthers}
          </button>
        </div>
      ) : (
        <p className="empty-state">{m.sessions.noOtherBrowser}</p>
      )}
    </>
  );
}

function SessionRow({ session, onEnd }: { session: ActiveSession; onEnd: () => void }) {
  const m = useMessages();
  const lastUsed = formatTime(session.lastUsedAt);
  // Why the network and time in the name: two rows may both read "Chrome on Linux".
  const name = session.current ? m.sessions.logOutThis(session.device) : m.sessions.endOther(session.device, session.network, lastUsed);
  return (
    <tr>
      <th scope="row">
        {session.device} {session.current ? <span className="badge">{m.locations.thisBrowser}</span> : null}
        <span className="session-detail">
          <span className="session-narrow">
            <code>{session.network}</code> ·{' '}
          </span>
          {m.sessions.since} <time dateTime={session.createdAt}>{formatTime(session.createdAt)}</time> ·{' '}
          {session.secondFactorVerified ? m.sessions.withCode : m.sessions.passwordOnly}
        </span>
      </th>
      <td className="session-wide">
        <code>{session.network}</code>
      </td>
      <td>{session.current ? m.sessions.now : <time dateTime={session.lastUsedAt}>{lastUsed}</time>}</td>
      <td className="table-action">
        <button type="button" className="button button-secondary button-small" aria-label={name} onClick={onEnd}>
          {session.current ? m.shell.logOut : m.sessions.end}
        </button>
      </td>
    </tr>
  );
}
