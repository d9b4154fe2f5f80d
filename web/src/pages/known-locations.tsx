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
import { messages, useMessages } from '../i18n/index.ts';

type State = { status: 'loading' } | { status: 'ready'; locations: KnownLocation[] } | { status: 'failed'; message: string };

export function KnownLocations() {
  const m = useMessages();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setState({ status: 'ready', locations: (await api.knownLocations()).locations });
    } catch (failure) {
      setState({ status: 'failed', message: errorText(failure, messages().locations.failed) });
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
      setError(errorText(failure, m.locations.revokeFailed));
      await load();
    }
  };

  return (
    <section aria-labelledby="known-locations-heading">
      <h2 id="known-locations-heading">{m.locations.heading}</h2>
      <p className="muted">{m.locations.text}</p>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      {state.status === 'loading' ? <p role="status">{m.common.loading}</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' ? (
        <LocationTable
          locations={state.locations}
          onRevoke={(location) => void revoke(() => api.revokeKnownLocation(location.id), m.locations.revoked(label(location)))}
          onRevokeAll={() => void revoke(() => api.revokeAllKnownLocations(), m.locations.revokedAll)}
        />
      ) : null}
    </section>
  );
}

function label(location: KnownLocation): string {
  return location.current ? messages().locations.thisDevice(location.device) : location.device;
}

interface TableProps {
  locations: KnownLocation[];
  onRevoke: (location: KnownLocation) => void;
  onRevokeAll: () => void;
}

function LocationTable({ locations, onRevoke, onRevokeAll }: TableProps) {
  const m = useMessages();
  if (locations.length === 0) {
    return <p className="empty-state">{m.locations.none}</p>;
  }
  return (
    <>
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">{m.locations.caption}</caption>
          <TableHead columns={[m.locations.device, m.locations.network, m.locations.lastUsed, m.locations.trustedUntil]} actions />
          <tbody>
            {locations.map((location) => (
              <LocationRow key={location.id} location={location} onRevoke={() => onRevoke(location)} />
            ))}
          </tbody>
        </table>
      </div>
      <div className="button-row">
        <button type="button" className="button button-secondary" onClick={onRevokeAll}>
          {m.locations.revokeAll}
        </button>
      </div>
    </>
  );
}

function LocationRow({ location, onRevoke }: { location: KnownLocation; onRevoke: () => void }) {
  const m = useMessages();
  const lastUsed = formatTime(location.lastUsedAt);
  // Why the network and time in the name: two rows may both read "Chrome on Linux".
  const name = location.current
    ? m.locations.revokeThis(location.device)
    : m.locations.revokeOther(location.device, location.network, lastUsed);
  return (
    <tr>
      <th scope="row">
        {location.device} {location.current ? <span className="badge">{m.locations.thisBrowser}</span> : null}
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
          {m.locations.revoke}
        </button>
      </td>
    </tr>
  );
}
