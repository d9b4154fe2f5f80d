/**
 * Where each login step lives. Steps are query strings on the login page (`/login?step=verify`,
 * or on an instance's `/i/{slug}/login?step=verify&interaction=…`) because the server answers
 * index.html for the login page itself but not for paths below it, so a reload in the middle of
 * a login still finds its page.
 */
import { api, type LoginStep } from '../api.ts';
import { loginPlace, loginUrl, returnToInteraction } from '../login-place.ts';
import { navigate } from '../router.ts';
import { messages } from '../i18n/index.ts';

/** The notice on the login page when the login a step belonged to has ended. */
export function loginGoneNotice(): string {
  return messages().app.loginGone;
}

export function stepPath(step: Exclude<LoginStep, { next: 'done' }>): string {
  if (step.next !== 'setup') return loginUrl({ step: step.next });
  const params: Record<string, string> = { step: 'setup' };
  if (step.canPostpone) params.postpone = '1';
  if (step.canPostpone && step.postponesLeft !== undefined) params.left = String(step.postponesLeft);
  if (step.canPostpone && step.enforceFrom) params.from = step.enforceFrom;
  return loginUrl(params);
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

/**
 * After a step succeeded: a full session opens the page the user was going to (`?next=`, checked
 * in login-place.ts) or My Profile, or goes back to the application whose sign-in brought the user
 * here; anything else shows its step.
 */
export async function goToStep(step: LoginStep, refresh: () => Promise<unknown>, notice?: string): Promise<void> {
  if (step.next === 'verify') rememberIssuer(step.issuer);
  if (step.next !== 'done') return navigate(stepPath(step));
  if (returnToInteraction()) return;
  const next = loginPlace().next ?? '/profile';
  await refresh();
  navigate(next, notice ? { notice } : {});
}

const ISSUER_KEY = 'keyward:verify-issuer';

/**
 * The verify step's issuer ("Globex (keyward)"), kept for this tab so a reload still names the
 * app's entry. Not in the URL: a crafted link could then put any name on the code prompt.
 */
function rememberIssuer(issuer: string | undefined): void {
  try {
    if (issuer) window.sessionStorage.setItem(ISSUER_KEY, issuer);
    else window.sessionStorage.removeItem(ISSUER_KEY);
  } catch {
    // Storage refused (private mode): the prompt falls back to its general wording.
  }
}

/** The issuer the verify step named in this tab, or null. */
export function verifyIssuer(): string | null {
  try {
    return window.sessionStorage.getItem(ISSUER_KEY);
  } catch {
    return null;
  }
}

/** Abandons a half-finished login: the server forgets it, and the login form comes back. */
export async function leaveLogin(): Promise<void> {
  await api.logout().catch(() => undefined);
  navigate(loginUrl());
}
