/** Who is logged in, loaded once from GET /me and refreshed after login, setup and logout. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, SESSION_LOST_EVENT, type Me } from './api.ts';
import { useLocation } from './router.ts';
import { errorText } from './errors.ts';
import { messages } from './i18n/index.ts';

/** The support console's pages: they have their own session (GET /support/me). */
export function isSupportPath(pathname: string): boolean {
  return pathname === '/support' || pathname.startsWith('/support/');
}

export type SessionState =
  | { status: 'loading' }
  /** No session; `ended` when one this page had ended meanwhile (elsewhere, by an admin, by time). */
  | { status: 'anonymous'; ended?: boolean }
  | { status: 'signed-in'; me: Me }
  /** Logged in, but the instance now requires an authenticator app first (403 setup_enforced). */
  | { status: 'setup-required' }
  | { status: 'error'; message: string };

interface SessionContextValue {
  state: SessionState;
  /** Reloads /me; resolves to the user, or null when not logged in. */
  refresh: () => Promise<Me | null>;
  /** Forgets the user locally after this browser logged out; the app's other tabs check theirs. */
  forget: () => void;
}

const CHANNEL = 'keyward:session';

function channel(): BroadcastChannel | null {
  return typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const signedIn = state.status === 'signed-in';

  const refresh = useCallback(async (): Promise<Me | null> => {
    try {
      const me = await api.me();
      setState({ status: 'signed-in', me });
      return me;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'setup_enforced') {
        setState({ status: 'setup-required' });
        return null;
      }
      if (error instanceof ApiError && error.status === 401) {
        // A second 401 of the same moment (two requests of one page, a tab message) keeps the notice.
        setState((before) => ({
          status: 'anonymous',
          ended: before.status === 'signed-in' || (before.status === 'anonymous' && before.ended === true),
        }));
        return null;
      }
      setState({ status: 'error', message: errorText(error, messages().common.somethingWrong) });
      return null;
    }
  }, []);

  const forget = useCallback(() => {
    setState({ status: 'anonymous' });
    const tabs = channel();
    tabs?.postMessage('logged-out');
    tabs?.close();
  }, []);

  // A session that ends while a page is open (another tab logged out, an administrator ended the
  // sessions, the idle timeout): the next answer is a 401, or another tab says so, or the tab comes
  // back into view; /me then tells which, and the app shows the login page with one notice
  // instead of a "Log in first." inside a page that still shows the avatar.
  useEffect(() => {
    if (!signedIn) return;
    const check = () => void refresh();
    const onVisible = () => {
      if (document.visibilityState === 'visible') check();
    };
    const tabs = channel();
    if (tabs) tabs.onmessage = check;
    window.addEventListener(SESSION_LOST_EVENT, check);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      tabs?.close();
      window.removeEventListener(SESSION_LOST_EVENT, check);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [signedIn, refresh]);

  // Why not on /support: an operator's cookie is no instance session; asking the instance's /me
  // with it is pointless at best (issue 10 item 22: it used to end the operator's session).
  const onSupport = isSupportPath(useLocation().pathname);
  useEffect(() => {
    if (!onSupport) void refresh();
  }, [refresh, onSupport]);

  const value = useMemo(() => ({ state, refresh, forget }), [state, refresh, forget]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
