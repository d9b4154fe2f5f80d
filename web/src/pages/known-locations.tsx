/**
 * My Profile → Known locations: the browsers that entered a code and are trusted for a while on
 * their network (SPEC §1). Revoking one makes it ask for a code again at its next login.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, type KnownLocation } from '../api.ts';
import { Alert, Notice } from '../components/field.tsx';
import { TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { formatDate, formatTime } from '../time.ts';

type State = { status: 'loading' } | { status: 'ready'; locations: KnownLocation[] } | { status: 'failed'; message: string };

export function KnownLocations() {
  const [state, setState] = useState<State>({ status: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setState({ status: 'ready', locations: (await api.knownLocations()).locations });
    } catch (failure) {
      setState({ status: 'failed', message: errorText(failure, 'Loading your known locations failed.') });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const revoke = async (remove: () => Promise<void>, done: string) => {
    setError(null);
    setNotice(null);
    try {
      await remove();
      await load();
      // After the list: the announcement describes what the page now shows.
      setNotice(done);
    } catch (failure) {
      setError(errorText(failure, 'Revoking failed.'));
      await load();
    }
  };

  return (
    <section aria-labelledby="known-locations-heading">
      <h2 id="known-locations-heading">Known locations</h2>
      <p className="muted">
        After you enter a code from your authenticator app, keyward remembers that browser on that network, and its next logins need only
        your password. Revoke a location you do not recognise or no longer use.
      </p>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      {state.status === 'loading' ? <p role="status">Loading…</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' ? (
        <LocationTable
          locations={state.locations}
          onRevoke={(location) =>
            void revoke(() => api.revokeKnownLocation(location.id), `${label(location)} will ask for a code at its next login.`)
          }
          onRevokeAll={() =>
            void revoke(
              () => api.revokeAllKnownLocations(),
              'All known locations were revoked. Every browser will ask for a code at its next login.',
            )
          }
        />
      ) : null}
    </section>
  );
}

function label(location: KnownLocation): string {
  return location.current ? `${location.device} (this browser)` : location.device;
}

interface TableProps {
  locations: KnownLocation[];
  onRevoke: (location: KnownLocation) => void;
  onRevokeAll: () => void;
}

function LocationTable({ locations, onRevoke, onRevokeAll }: TableProps) {
  if (locations.length === 0) {
    return <p className="empty-state">No known locations. Every login from a browser asks for a code from your authenticator app.</p>;
  }
  return (
    <>
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">Browsers that log in without a code</caption>
          <TableHead columns={['Device', 'Network', 'Last used', 'Trusted until']} actions />
          <tbody>
            {locations.map((location) => (
              <LocationRow key={location.id} location={location} onRevoke={() => onRevoke(location)} />
            ))}
          </tbody>
        </table>
      </div>
      <div className="button-row">
        <button type="button" className="button button-secondary" onClick={onRevokeAll}>
          Revoke all
        </button>
      </div>
    </>
  );
}

function LocationRow({ location, onRevoke }: { location: KnownLocation; onRevoke: () => void }) {
  const lastUsed = formatTime(location.lastUsedAt);
  // Why the network and time in the name: two rows may both read "Chrome on Linux".
  const name = location.current
    ? `Revoke ${location.device} (this browser)`
    : `Revoke ${location.device} (${location.network}, last used ${lastUsed})`;
  return (
    <tr>
      <th scope="row">
        {location.device} {location.current ? <span className="badge">This browser</span> : null}
      </th>
      <td>
        <code>{location.network}</code>
      </td>
      <td>
        <time dateTime={location.lastUsedAt}>{lastUsed}</time>
      </td>
      <td>
        <time dateTime={location.expiresAt}>{formatDate(location.expiresAt)}</time>
      </td>
      <td className="table-action">
        <button type="button" className="button button-secondary button-small" aria-label={name} onClick={onRevoke}>
          Revoke
        </button>
      </td>
    </tr>
  );
}
