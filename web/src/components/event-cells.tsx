/** The cells an audit event shows wherever it is listed: Settings → Audit and My Profile's activity. */
import type { AuditEvent } from '../api.ts';
import { eventTime, shortUserAgent } from '../audit-words.ts';

/** When: the local time, with the exact instant for machines. */
export function EventTimeCell({ event }: { event: AuditEvent }) {
  return (
    <td className="audit-time">
      <time dateTime={event.at}>{eventTime(event.at)}</time>
    </td>
  );
}

/** From: the address, and the browser in a few words (the whole user agent on hover). */
export function EventFromCell({ event }: { event: AuditEvent }) {
  return (
    <td>
      {event.ip ? <code>{event.ip}</code> : null}
      <span className="audit-browser" title={event.userAgent ?? undefined}>
        {shortUserAgent(event.userAgent)}
      </span>
    </td>
  );
}
