/**
 * Settings → Users → 2FA adoption: users by 2FA status per day for the last 90 days (one point a
 * day, kept by the server's housekeeping, with today's live counts last). Stacked bars in SVG
 * attributes only (the CSP allows no inline styles), and the same numbers as a table.
 */
import { useEffect, useId, useState } from 'react';
import { api, type AdoptionDay, type TwoFactorStatus } from '../api.ts';
import { errorText } from '../errors.ts';
import { formatUtcDay } from '../time.ts';

type State = { status: 'loading' } | { status: 'ready'; days: AdoptionDay[] } | { status: 'failed'; message: string };

const BAR = 10;
const GAP = 2;
const HEIGHT = 100;
/** Bottom to top: what is done, what is on the way, what is missing. */
const STACK: TwoFactorStatus[] = ['active', 'pending', 'off'];
const LABEL: Record<TwoFactorStatus, string> = { active: 'Active', pending: 'Enabled, not set up', off: 'Off' };

const formatDay = formatUtcDay;

/** `refreshKey` changes when the counts do, so the last bar follows the list. */
export function AdoptionChart({ refreshKey }: { refreshKey: string }) {
  const headingId = useId();
  const [state, setState] = useState<State>({ status: 'loading' });

  useEffect(() => {
    let current = true;
    api.twoFactorAdoption().then(
      ({ days }) => current && setState({ status: 'ready', days }),
      (failure: unknown) => current && setState({ status: 'failed', message: errorText(failure, 'Loading the adoption chart failed.') }),
    );
    return () => {
      current = false;
    };
  }, [refreshKey]);

  return (
    <section aria-labelledby={headingId} className="subsection adoption">
      <h3 id={headingId}>2FA adoption</h3>
      {state.status === 'loading' ? <p role="status">Loading…</p> : null}
      {state.status === 'failed' ? <p className="muted">{state.message}</p> : null}
      {state.status === 'ready' ? <Chart days={state.days} /> : null}
    </section>
  );
}

function Chart({ days }: { days: AdoptionDay[] }) {
  const titleId = useId();
  if (days.length < 2) {
    return (
      <p className="muted">
        The chart fills in day by day: each day keyward notes how many users have two-factor authentication active, enabled or off.
      </p>
    );
  }
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const most = Math.max(1, ...days.map((day) => day.active + day.pending + day.off));
  const width = days.length * (BAR + GAP) - GAP;
  return (
    <>
      <p className="muted">Users by two-factor status at the end of each day, from {formatDay(first.day)} to today.</p>
      <svg className="adoption-chart" viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-labelledby={titleId}>
        <title id={titleId}>
          {`Today ${last.active} active, ${last.pending} enabled but not set up, ${last.off} off; on ${formatDay(first.day)} ${first.active} active, ${first.pending} enabled but not set up, ${first.off} off.`}
        </title>
        {days.map((day, index) => (
          <Bar key={day.day} day={day} x={index * (BAR + GAP)} most={most} />
        ))}
      </svg>
      <ul className="chart-legend" aria-hidden="true">
        {STACK.map((status) => (
          <li key={status}>
            <span className={`legend-swatch legend-${status}`} />
            {LABEL[status]}
          </li>
        ))}
      </ul>
      <details className="chart-data">
        <summary>Show the numbers</summary>
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Users by two-factor status per day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {STACK.map((status) => (
                  <th key={status} scope="col">
                    {LABEL[status]}
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
  let top = HEIGHT;
  return (
    <g>
      <title>{`${formatDay(day.day)}: ${day.active} active, ${day.pending} enabled but not set up, ${day.off} off`}</title>
      {STACK.map((status) => {
        const height = (day[status] / most) * HEIGHT;
        top -= height;
        return height > 0 ? <rect key={status} className={`bar-${status}`} x={x} y={top} width={BAR} height={height} /> : null;
      })}
    </g>
  );
}
