/**
 * Where each login step lives. Steps are query strings on /login (`/login?step=verify`) because
 * the server answers index.html for /login itself but not for paths below it, so a reload in
 * the middle of a login still finds its page.
 */
import { api, type LoginStep } from '../api.ts';
import { navigate } from '../router.ts';

export const LOGIN_GONE_NOTICE = 'Your login has expired or was replaced. Log in again.';

export function stepPath(step: Exclude<LoginStep, { next: 'done' }>): string {
  if (step.next === 'setup') return step.canPostpone ? '/login?step=setup&postpone=1' : '/login?step=setup';
  return `/login?step=${step.next}`;
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
