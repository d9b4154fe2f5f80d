/**
 * My Profile → Recent security activity: the latest events about the user (logins, codes,
 * changes, resets), from which address and browser, and who did it when it was someone else.
 */
import { useEffect, useState } from 'react';
import { api, type AuditEvent, type Me } from '../api.ts';
import { actionText, detailsText, doneByText } from '../audit-words.ts';
import { EventFromCell, EventTimeCell } from '../components/event-cells.tsx';
import { Alert } from '../components/field.tsx';
import { ScrollRegion, TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { messages, useMessages } from '../i18n/index.ts';

type State = { status: 'loading' } | { status: 'ready'; events: AuditEvent[] } | { status: 'failed'; message: string };

export function RecentActivity({ me }: { me: Me }) {
  const m = useMessages();
  const [state, setState] = useState<State>({ status: 'loading' });

  useEffect(() => {
    let current = true;
    api.myActivity().then(
      ({ events }) => current && setState({ status: 'ready', events }),
      (failure: unknown) => current && setState({ status: 'failed', message: errorText(failure, messages().activity.failed) }),
    );
    return () => {
      current = false;
    };
    // Turning 2FA on or off above adds an event: the list follows.
  }, [me.twoFactor.status]);

  return (
    <section aria-labelledby="profile-activity">
      <h2 id="profile-activity">{m.activity.heading}</h2>
      <p className="muted">{m.activity.text}</p>
      {state.status === 'loading' ? <p role="status">{m.common.loading}</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' ? <ActivityTable me={me} events={state.events} /> : null}
    </section>
  );
}

function ActivityTable({ me, events }: { me: Me; events: AuditEvent[] }) {
  const m = useMessages();
  if (events.length === 0) return <p className="empty-state">{m.activity.none}</p>;
  return (
    <ScrollRegion label={m.activity.region}>
      <table className="table activity-table">
        <caption className="visually-hidden">{m.activity.caption}</caption>
        <TableHead columns={[m.activity.when, m.activity.what, m.activity.from]} />
        <tbody>
          {events.map((event) => (
            <ActivityRow key={event.id} me={me} event={event} />
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function ActivityRow({ me, event }: { me: Me; event: AuditEvent }) {
  // Someone else's action on this account (a reset, a role change) says who it was. A failed
  // sign-in has no verified actor (id null): it is shown as something that happened to the account.
  const byOther =
    event.actor.type === 'operator' ||
    event.actor.type === 'cli' ||
    event.actor.type === 'oidc_client' ||
    (event.actor.type === 'user' && event.actor.id !== null && event.actor.id !== me.id);
  const details = detailsText(event);
  return (
    <tr>
      <EventTimeCell event={event} />
      <th scope="row">
        {actionText(event.action)}
        {byOther ? <span className="audit-by">{doneByText(event)}</span> : null}
        {details && !byOther ? <span className="audit-details">{details}</span> : null}
      </th>
      <EventFromCell event={event} />
    </tr>
  );
}
