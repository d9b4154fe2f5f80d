/**
 * Where each login step lives. Steps are query strings on /login (`/login?step=verify`) because
 * the server answers index.html for /login itself but not for paths below it, so a reload in
 * the middle of a login still finds its page.
 */
import { api, type LoginStep } from '../api.ts';
import { navigate } from '../router.ts';

export const LOGIN_GONE_NOTICE = 'Your login has expired or was replaced. Log in again.';

export function stepPath(step: Exclude<LoginStep, { next: 'done' }>): string {
  if (step.next !== 'setup') return `/login?step=${step.next}`;
  const params = new URLSearchParams({ step: 'setup' });
  if (step.canPostpone) params.set('postpone', '1');
  if (step.canPostpone && step.postponesLeft !== undefined) params.set('left', String(step.postponesLeft));
  if (step.canPostpone && step.enforceFrom) params.set('from', step.enforceFrom);
  return `/login?${params.toString()}`;
}

/** How long setup may still wait, as the setup step said it (kept in the URL so a reload keeps it). */
export interface Postponing {
  /** Postponements left; undefined without a limit. */
  left?: number;
  /** When setup becomes required (ISO); undefined without a date. */
  from?: string;
}

export function postponingFrom(search: URLSearchParams): Postponing | null {
  if (search.get('postpone') !== '1') return null;
  const left = Number(search.get('left') ?? Number.NaN);
  const from = search.get('from');
  return {
    ...(Number.isInteger(left) && left >= 0 ? { left } : {}),
    ...(from && !Number.isNaN(Date.parse(from)) ? { from } : {}),
  };
}

/** After a step succeeded: a full session opens My Profile; anything else shows its step. */
export async function goToStep(step: LoginStep, refresh: () => Promise<unknown>, notice?: string): Promise<void> {
  if (step.next !== 'done') return navigate(stepPath(step));
  await refresh();
  navigate('/profile', notice ? { notice } : {});
}

/** Abandons a half-finished login: the server forgets it, and the login form comes back. */
export async function leaveLogin(): Promise<void> {
  await api.logout().catch(() => undefined);
  navigate('/login');
}
