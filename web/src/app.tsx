/** Routes: which page a path shows, and who may see it. */
import { useEffect, type ReactNode } from 'react';
import type { Me } from './api.ts';
import { Alert } from './components/field.tsx';
import { Page } from './components/page.tsx';
import { AppShell, PublicShell } from './components/shell.tsx';
import { ChangePasswordPage, ExpiredPasswordPage } from './pages/change-password.tsx';
import { ForgotPage } from './pages/forgot-page.tsx';
import { PasswordLinkPage } from './pages/password-link-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { postponingFrom } from './pages/login-steps.ts';
import { MailboxPage } from './pages/mailbox-page.tsx';
import { ProfilePage } from './pages/profile-page.tsx';
import { SettingsPage } from './pages/settings-page.tsx';
import { SetupPage } from './pages/setup-page.tsx';
import { TwoFactorSetupPage } from './pages/two-factor-setup-page.tsx';
import { VerifyPage } from './pages/verify-page.tsx';
import { StepUpPage } from './pages/step-up-page.tsx';
import { isInstanceLoginPath, loginFor, loginPlace, loginUrl } from './login-place.ts';
import { Link, navigate, useLocation } from './router.ts';
import { useSession, type SessionState } from './session.tsx';
import { SupportApp } from './support/support-app.tsx';
import { useMessages } from './i18n/index.ts';

function Redirect({ to, notice }: { to: string; notice?: string }) {
  useEffect(() => navigate(to, notice ? { replace: true, notice } : { replace: true }), [to, notice]);
  return null;
}

function Loading() {
  const m = useMessages();
  return (
    <p className="loading" role="status">
      {m.common.loading}
    </p>
  );
}

/** Pages that need a full session; without one, the login page. */
function Protected({ state, render }: { state: SessionState; render: (me: Me) => ReactNode }) {
  const m = useMessages();
  if (state.status === 'loading')
    return (
      <PublicShell>
        <Loading />
      </PublicShell>
    );
  if (state.status === 'error')
    return (
      <PublicShell>
        <Alert>{state.message}</Alert>
      </PublicShell>
    );
  // The page asked for comes back after the login (?next=, checked in login-place.ts); a session
  // that ended while the page was open says so once, on the login page.
  if (state.status === 'anonymous') {
    const here = window.location.pathname + window.location.search;
    return <Redirect to={loginFor(here)} notice={state.ended ? m.app.sessionEnded : undefined} />;
  }
  // The instance now enforces 2FA and this user has no app: the setup step, not a dead end.
  if (state.status === 'setup-required') return <Redirect to="/login?step=setup" />;
  return <AppShell me={state.me}>{render(state.me)}</AppShell>;
}

/** /login (or an instance's /i/{slug}/login) and its later steps (`?step=verify`, `?step=setup`, `?step=change_password`, `?step=step_up`). */
function LoginStepPage({ search }: { search: URLSearchParams }) {
  const step = search.get('step');
  if (step === 'verify') return <VerifyPage />;
  if (step === 'step_up' && loginPlace().interaction) return <StepUpPage />;
  if (step === 'setup') return <TwoFactorSetupPage mode={{ kind: 'login', postponing: postponingFrom(search) }} />;
  if (step === 'change_password') return <ExpiredPasswordPage />;
  return <LoginPage />;
}

function NotFound() {
  const m = useMessages();
  return (
    <Page title={m.app.notFoundTitle} narrow>
      <p className="card">
        {m.app.notFoundText} <Link to="/">{m.app.notFoundLink}</Link>
      </p>
    </Page>
  );
}

export function App() {
  const location = useLocation();
  const { state } = useSession();
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const signedIn = state.status === 'signed-in';

  // The support console has its own login and frame: operators are outside every instance.
  if (path === '/support') return <SupportApp />;
  if (path === '/setup')
    return (
      <PublicShell>
        <SetupPage />
      </PublicShell>
    );
  if (path === '/invite')
    return (
      <PublicShell>
        <PasswordLinkPage purpose="invitation" />
      </PublicShell>
    );
  if (path === '/reset')
    return (
      <PublicShell>
        <PasswordLinkPage purpose="reset" />
      </PublicShell>
    );
  if (path === '/forgot')
    return (
      <PublicShell>
        <ForgotPage />
      </PublicShell>
    );
  if (path === '/dev/mailbox') {
    return signedIn ? (
      <AppShell me={state.me}>
        <MailboxPage />
      </AppShell>
    ) : (
      <PublicShell>
        <MailboxPage />
      </PublicShell>
    );
  }
  // An instance's login page; with an interaction the server sent the browser here because the
  // application's request needs a login or a code, so the form shows whatever session exists.
  if (isInstanceLoginPath(location.pathname)) {
    if (state.status === 'loading')
      return (
        <PublicShell>
          <Loading />
        </PublicShell>
      );
    const interaction = loginPlace(location).interaction;
    const step = location.searchParams.get('step');
    if (!interaction && signedIn) return <Redirect to="/profile" />;
    if (!step && state.status === 'setup-required') return <Redirect to={loginUrl({ step: 'setup' })} />;
    return (
      <PublicShell>
        <LoginStepPage search={location.searchParams} />
      </PublicShell>
    );
  }
  if (path === '/' || path === '/login') {
    if (state.status === 'loading')
      return (
        <PublicShell>
          <Loading />
        </PublicShell>
      );
    if (signedIn) return <Redirect to={loginPlace(location).next ?? '/profile'} />;
    // At an enforced setup every page leads back to it: the login form would start over.
    if (state.status === 'setup-required' && !location.searchParams.get('step')) return <Redirect to="/login?step=setup" />;
    if (path === '/') return <Redirect to={state.status === 'setup-required' ? '/login?step=setup' : `/login${location.search}`} />;
    return (
      <PublicShell>
        <LoginStepPage search={location.searchParams} />
      </PublicShell>
    );
  }
  if (path === '/profile/password') return <Protected state={state} render={() => <ChangePasswordPage />} />;
  if (path === '/profile/two-factor') {
    return <Protected state={state} render={(me) => <TwoFactorSetupPage mode={{ kind: 'profile', me }} />} />;
  }
  // Exactly these pages (the server's WEB_PAGES): an address below them is "Page not found", as its 404 says.
  if (path === '/profile') return <Protected state={state} render={(me) => <ProfilePage me={me} />} />;
  if (path === '/settings') return <Protected state={state} render={(me) => <SettingsPage me={me} />} />;
  if (signedIn)
    return (
      <AppShell me={state.me}>
        <NotFound />
      </AppShell>
    );
  return (
    <PublicShell>
      <NotFound />
    </PublicShell>
  );
}
