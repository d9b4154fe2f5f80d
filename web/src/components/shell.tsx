/** The frame around every page: skip link, top bar (product, instance, avatar menu), main. */
import { useState, type ReactNode } from 'react';
import { api, ApiError, type Me } from '../api.ts';
import { Link, navigate, useLocation } from '../router.ts';
import { useSession } from '../session.tsx';
import { UserMenu, type MenuAction } from './user-menu.tsx';

export function Brand() {
  return (
    <span className="brand">
      <img src="/favicon.svg" alt="" className="brand-mark" width="24" height="24" />
      keyward
    </span>
  );
}

export function Frame({ bar, children }: { bar: ReactNode; children: ReactNode }) {
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to main content
      </a>
      <header className="top-bar">{bar}</header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** For pages without a session: login, first-run setup, the dev mailbox. */
export function PublicShell({ children }: { children: ReactNode }) {
  return <Frame bar={<Brand />}>{children}</Frame>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whole days until the password expires (0: today or already), or null when no warning is due:
 * the server says when the warning starts (/me passwordWarningFrom, the policy's warnDays).
 */
export function daysUntilExpiry(me: Pick<Me, 'passwordExpiresAt' | 'passwordWarningFrom'>, now = Date.now()): number | null {
  if (!me.passwordExpiresAt || !me.passwordWarningFrom || now < Date.parse(me.passwordWarningFrom)) return null;
  return Math.max(0, Math.ceil((Date.parse(me.passwordExpiresAt) - now) / DAY_MS));
}

/** SPEC rule 10: from shortly before expiry, every page says so and links to the change. */
function PasswordExpiryBanner({ me }: { me: Me }) {
  const location = useLocation();
  const days = daysUntilExpiry(me);
  if (days === null) return null;
  const when = days === 0 ? 'today' : days === 1 ? 'in 1 day' : `in ${days} days`;
  return (
    <div className="alert alert-warning page-alert banner">
      Your password expires {when}.{' '}
      {location.pathname === '/profile/password' ? null : <Link to="/profile/password">Change your password</Link>}
    </div>
  );
}

export function AppShell({ me, children }: { me: Me; children: ReactNode }) {
  const { forget } = useSession();
  const [error, setError] = useState<string | null>(null);

  const logOut = async () => {
    setError(null);
    try {
      await api.logout();
    } catch (failure) {
      // 401: the session had already ended, which is what the user asked for.
      if (!(failure instanceof ApiError && failure.status === 401)) {
        setError(failure instanceof Error ? failure.message : 'Logging out failed.');
        return;
      }
    }
    forget();
    navigate('/login');
  };

  const actions: MenuAction[] = [
    { label: 'My Profile', onSelect: () => navigate('/profile') },
    ...(me.role === 'admin' ? [{ label: 'Settings', onSelect: () => navigate('/settings') }] : []),
    { label: 'Log out', onSelect: () => void logOut() },
  ];

  const bar = (
    <>
      <Link to="/profile" className="brand-link">
        <Brand />
      </Link>
      <span className="instance-name" title={`Instance ${me.instance.slug}`}>
        {me.instance.name}
      </span>
      <span className="top-bar-spacer" />
      <UserMenu me={me} actions={actions} />
    </>
  );

  return (
    <Frame bar={bar}>
      <PasswordExpiryBanner me={me} />
      {error ? (
        <div role="alert" className="alert alert-error page-alert">
          {error}
        </div>
      ) : null}
      {children}
    </Frame>
  );
}
