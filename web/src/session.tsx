/** Who is logged in, loaded once from GET /me and refreshed after login, setup and logout. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, type Me } from './api.ts';
import { useLocation } from './router.ts';

/** The support console's pages: they have their own session (GET /support/me). */
export function isSupportPath(pathname: string): boolean {
  return pathname === '/support' || pathname.startsWith('/support/');
}

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'signed-in'; me: Me }
  /** Logged in, but the instance now requires an authenticator app first (403 setup_enforced). */
  | { status: 'setup-required' }
  | { status: 'error'; message: string };

interface SessionContextValue {
  state: SessionState;
  /** Reloads /me; resolves to the user, or null when not logged in. */
  refresh: () => Promise<Me | null>;
  /** Forgets the user locally (after the server ended the session). */
  forget: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

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
        setState({ status: 'anonymous' });
        return null;
      }
      setState({ status: 'error', message: error instanceof Error ? error.message : 'Something went wrong.' });
      return null;
    }
  }, []);

  const forget = useCallback(() => setState({ status: 'anonymous' }), []);

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
