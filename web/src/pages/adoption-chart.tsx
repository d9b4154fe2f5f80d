/**
 * Settings → Users → 2FA adoption: users by 2FA status per day for the last 90 days (one point a
 * day, kept by the server's housekeeping, with today's live counts last). Stacked bars in SVG
 * attributes only (the CSP allows no inline styles), and the same numbers as a table.
 */
import { useEffect, useId, useState } from 'react';
import { api, type AdoptionDay, type TwoFactorStatus } from '../api.ts';
import { errorText } from '../errors.ts';
import { formatUtcDay } from '../time.ts';
import { messages, useMessages } from '../i18n/index.ts';

type State = { status: 'loading' } | { status: 'ready'; days: AdoptionDay[] } | { status: 'failed'; message: string };

const BAR = 10;
const GAP = 2;
const HEIGHT = 100;
/** Bottom to top: what is done, what is on the way, what is missing. */
const STACK: TwoFactorStatus[] = ['active', 'pending', 'off'];

const formatDay = formatUtcDay;

/** `refreshKey` changes when the counts do, so the last bar follows the list. */
export function AdoptionChart({ refreshKey }: { refreshKey: string }) {
  const headingId = useId();
  const m = useMessages();
  const [state, setState] = useState<State>({ status: 'loading' });

  useEffect(() => {
    let current = true;
    api.twoFactorAdoption().then(
      ({ days }) => current && setState({ status: 'ready', days }),
      (failure: unknown) => current && setState({ status: 'failed', message: errorText(failure, messages().adoption.loadFailed) }),
    );
    return () => {
      current = false;
    };
  }, [refreshKey]);

  return (
    <section aria-labelledby={headingId} className="subsection adoption">
      <h3 id={headingId}>{m.adoption.heading}</h3>
      {state.status === 'loading' ? <p role="status">{m.common.loading}</p> : null}
      {state.status === 'failed' ? <p className="muted">{state.message}</p> : null}
      {state.status === 'ready' ? <Chart days={state.days} /> : null}
    </section>
  );
}

function Chart({ days }: { days: AdoptionDay[] }) {
  const titleId = useId();
  const m = useMessages();
  if (days.length < 2) return <p className="muted">{m.adoption.fillsIn}</p>;
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const most = Math.max(1, ...days.map((day) => day.active + day.pending + day.off));
  const width = days.length * (BAR + GAP) - GAP;
  return (
    <>
      <p className="muted">{m.adoption.since(formatDay(first.day))}</p>
      <svg className="adoption-chart" viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-labelledby={titleId}>
        <title id={titleId}>{m.adoption.summary(last, first, formatDay(first.day))}</title>
        {days.map((day, index) => (
          <Bar key={day.day} day={day} x={index * (BAR + GAP)} most={most} />
        ))}
      </svg>
      <ul className="chart-legend" aria-hidden="true">
        {STACK.map((status) => (
          <li key={status}>
            <span className={`legend-swatch legend-${status}`} />
            {m.adoption.status[status]}
          </li>
        ))}
      </ul>
      <details className="chart-data">
        <summary>{m.adoption.showNumbers}</summary>
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">{m.adoption.caption}</caption>
            <thead>
              <tr>
                <th scope="col">{m.adoption.day}</th>
                {STACK.map((status) => (
                  <th key={status} scope="col">
                    {m.adoption.status[status]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {[...days].reverse().map((day) => (
                <tr key={day.day}>
                  <th scope="row">{formatDay(day.day)}</th>
                  {STACK.map((status) => (
                    <td key={status}>{day[status]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function Bar({ day, x, most }: { day: AdoptionDay; x: number; most: number }) {
  const m = useMessages();
  let top = HEIGHT;
  return (
    <g>
      <title>{m.adoption.bar(formatDay(day.day), day)}</title>
      {STACK.map((status) => {
        const height = (day[status] / most) * HEIGHT;
        top -= height;
        return height > 0 ? <rect key={status} className={`bar-${status}`} x={x} y={top} width={BAR} height={height} /> : null;
      })}
    </g>
  );
}
