/**
 * A tiny history router: the current path as state, navigate() to change it, <Link> for
 * same-app anchors. The server answers index.html for every app page (src/http/app.ts WEB_PAGES),
 * so reloads work; other addresses get it with 404, and the app shows "Page not found".
 */
import { createElement, useEffect, useState, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const NAVIGATE_EVENT = 'keyward:navigate';
let clientNavigations = 0;
window.addEventListener('popstate', () => {
  clientNavigations += 1;
});

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

/** The current path plus query string, re-rendering on navigation. */
export function useLocation(): URL {
  const current = useSyncExternalStore(subscribe, snapshot);
  return new URL(current, window.location.origin);
}

/**
 * Goes to `to`. A `notice` travels with the history entry and is shown once by the next page
 * (see useNotice): "Your login expired", "Your authenticator app is set up".
 */
export function navigate(to: string, options: { replace?: boolean; notice?: string } = {}): void {
  const state = options.notice ? { notice: options.notice } : null;
  if (to === snapshot() && !state) return;
  if (options.replace || to === snapshot()) window.history.replaceState(state, '', to);
  else window.history.pushState(state, '', to);
  clientNavigations += 1;
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** The notice the previous page left for this one, shown once: a reload does not repeat it. */
export function useNotice(): string | null {
  const [notice] = useState<string | null>(() => {
    const state: unknown = window.history.state;
    const value = (state as { notice?: unknown } | null)?.notice;
    return typeof value === 'string' ? value : null;
  });
  useEffect(() => {
    if (notice) window.history.replaceState(null, '', snapshot());
  }, [notice]);
  return notice;
}

/** True once the user has moved inside the app (used to move focus to the new page's heading). */
export function hasNavigated(): boolean {
  return clientNavigations > 0;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.button !== 0;
    if (event.defaultPrevented || modified) return;
    event.preventDefault();
    navigate(to);
  };
  return createElement('a', { ...rest, href: to, onClick: handleClick });
}
