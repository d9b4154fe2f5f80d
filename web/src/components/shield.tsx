/**
 * The 2FA shield of the Users list (SPEC §1): green with a check for `active`, a gray outline for
 * `pending` (enabled, no app yet), nothing for `off`. Shape as well as colour tells them apart.
 */
import type { TwoFactorStatus } from '../api.ts';
import { messages } from '../i18n/index.ts';

/** The shield's name for screen readers and the legend, in the chosen language. */
export function shieldLabel(status: TwoFactorStatus): string {
  return messages().shield[status];
}

const OUTLINE = 'M12 2.5 4.5 5.4v5.8c0 4.6 3.1 8.9 7.5 10.3 4.4-1.4 7.5-5.7 7.5-10.3V5.4L12 2.5z';

/** The icon alone; `label` makes it an image with that name, without it the icon is decorative. */
export function ShieldIcon({ status, label }: { status: Exclude<TwoFactorStatus, 'off'>; label?: string }) {
  const named = label ? { role: 'img', 'aria-label': label } : { 'aria-hidden': true };
  return (
    <svg {...named} className={`shield shield-${status}`} viewBox="0 0 24 24" width="20" height="20" focusable="false">
      {label ? <title>{label}</title> : null}
      <path className="shield-body" d={OUTLINE} />
      {status === 'active' ? <path className="shield-check" d="m8.4 12.1 2.6 2.6 4.7-5" /> : null}
    </svg>
  );
}

/** A user's shield, named for screen readers; `off` has no icon, only words screen readers read. */
export function TwoFactorShield({ status }: { status: TwoFactorStatus }) {
  if (status === 'off') return <span className="visually-hidden">{shieldLabel(status)}</span>;
  return <ShieldIcon status={status} label={shieldLabel(status)} />;
}
