/**
 * Where a login happens: keyward's own `/login` (with an instance field), or an instance's login
 * page `/i/{slug}/login` (SPEC §6), whose name and slug the server puts in the page. An instance's
 * page may carry an OpenID Connect interaction (`?interaction={uid}`): once the login's steps are
 * done, the browser goes back to `/i/{slug}/interaction/{uid}`, an address built here from the
 * slug and uid shapes only, so no parameter can send it anywhere else (no open redirect).
 * A deep link opened without a session comes back after the login as `?next=/settings/audit`:
 * a path of this app only (see safeNext).
 */
import { safeNext } from './safe-next.ts';

const INSTANCE_LOGIN = /^\/i\/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\/login\/?$/;
const INTERACTION = /^[A-Za-z0-9_-]{1,64}$/;
const LAST_INSTANCE_KEY = 'keyward:last-instance';

export interface LoginPlace {
  /** `/login` or `/i/{slug}/login`. */
  base: string;
  /** The instance of an instance's login page; null on /login. */
  slug: string | null;
  /** Its name, as the server said it; null when the server knows no such instance. */
  name: string | null;
  /** The interaction to return to when the login is done. */
  interaction: string | null;
  /** The app page to open when the login is done (a checked same-origin path); null: My Profile. */
  next: string | null;
}

function meta(name: string): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? null;
}

export function loginPlace(location: Pick<Location, 'pathname' | 'search'> = window.location): LoginPlace {
  const match = INSTANCE_LOGIN.exec(location.pathname);
  const next = safeNext(new URLSearchParams(location.search).get('next'), window.location.origin);
  if (!match) return { base: '/login', slug: null, name: null, interaction: null, next };
  const slug = match[1]!;
  const interaction = new URLSearchParams(location.search).get('interaction');
  return {
    base: `/i/${slug}/login`,
    slug,
    name: meta('keyward-instance') === slug ? meta('keyward-instance-name') : null,
    interaction: interaction && INTERACTION.test(interaction) ? interaction : null,
    next,
  };
}

export function isInstanceLoginPath(pathname: string): boolean {
  return INSTANCE_LOGIN.test(pathname);
}

/** This login place's address with `params` (a step), keeping its interaction. */
export function loginUrl(params: Record<string, string> = {}, place: LoginPlace = loginPlace()): string {
  const query = new URLSearchParams(params);
  if (place.interaction) query.set('interaction', place.interaction);
  if (place.next) query.set('next', place.next);
  const search = query.toString();
  return search ? `${place.base}?${search}` : place.base;
}

/** The login page for a deep link `here` (a path with its query) opened without a session. */
export function loginFor(here: string): string {
  const next = safeNext(here, window.location.origin);
  return next ? `/login?${new URLSearchParams({ next }).toString()}` : '/login';
}

/** Back to the interaction the login was for, or false when there is none. */
export function returnToInteraction(place: LoginPlace = loginPlace()): boolean {
  if (!place.slug || !place.interaction) return false;
  // A full page load: the provider's cookies and redirects take over from here.
  window.location.assign(`/i/${encodeURIComponent(place.slug)}/interaction/${encodeURIComponent(place.interaction)}`);
  return true;
}

/** The instance this browser last logged in to, for /login's instance field. */
export function lastInstance(): string {
  try {
    return window.localStorage.getItem(LAST_INSTANCE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function rememberInstance(slug: string): void {
  try {
    window.localStorage.setItem(LAST_INSTANCE_KEY, slug);
  } catch {
    // Storage off (private mode): /login then starts empty, as before.
  }
}
