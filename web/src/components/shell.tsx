/** The frame around every page: skip link, top bar (product, instance, avatar menu), main. */
import { useState, type ReactNode } from 'react';
import { api, ApiError, type Me } from '../api.ts';
import { Link, navigate, useLocation } from '../router.ts';
import { useSession } from '../session.tsx';
import { UserMenu, type MenuAction } from './user-menu.tsx';
import { errorText } from '../errors.ts';
import { LANGUAGE_NAMES, LANGUAGES, setLanguage, useLanguage, useMessages } from '../i18n/index.ts';
import { LanguagePicker } from './language-picker.tsx';

export function Brand() {
  return (
    <span className="brand">
      <img src="/favicon.svg" alt="" className="brand-mark" width="24" height="24" />
      keyward
    </span>
  );
}

export function Frame({ bar, children }: { bar: ReactNode; children: ReactNode }) {
  const m = useMessages();
  return (
    <>
      <a href="#main" className="skip-link">
        {m.shell.skipLink}
      </a>
      <header className="top-bar">{bar}</header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** For pages without a session: login, first-run setup, the dev mailbox; the language picker at the right. */
export function PublicShell({ children }: { children: ReactNode }) {
  const bar = (
    <>
      <Brand />
      <span className="top-bar-spacer" />
      <LanguagePicker />
    </>
  );
  return <Frame bar={bar}>{children}</Frame>;
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
  const m = useMessages();
  const location = useLocation();
  const days = daysUntilExpiry(me);
  if (days === null) return null;
  return (
    <div className="alert alert-warning page-alert banner">
      {m.shell.passwordExpires(days)}{' '}
      {location.pathname === '/profile/password' ? null : <Link to="/profile/password">{m.shell.changeYourPassword}</Link>}
    </div>
  );
}

export function AppShell({ me, children }: { me: Me; children: ReactNode }) {
  const m = useMessages();
  const language = useLanguage();
  const { forget } = useSession();
  const [error, setError] = useState<string | null>(null);

  const logOut = async () => {
    setError(null);
    try {
      await api.logout();
    } catch (failure) {
      // 401: the session had already ended, which is what the user asked for.
      if (!(failure instanceof ApiError && failure.status === 401)) {
        setError(errorText(failure, m.shell.logOutFailed));
        return;
      }
    }
    forget();
    navigate('/login');
  };

  const actions: MenuAction[] = [
    { label: m.shell.myProfile, onSelect: () => navigate('/profile') },
    ...(me.role === 'admin' ? [{ label: m.shell.settings, onSelect: () => navigate('/settings') }] : []),
    // The other languages, each in its own words and marked as such (WCAG 3.1.2, language of parts).
    ...LANGUAGES.filter((other) => other !== language).map((other) => ({
      label: LANGUAGE_NAMES[other],
      lang: other,
      onSelect: () => setLanguage(other),
    })),
    // Last, where people look for it (and where ArrowUp from the button lands).
    { label: m.shell.logOut, onSelect: () => void logOut() },
  ];

  const bar = (
    <>
      <Link to="/profile" className="brand-link">
        <Brand />
      </Link>
      <span className="instance-name" title={m.shell.instanceTitle(me.instance.slug)}>
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
