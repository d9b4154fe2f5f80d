/**
 * /support: the vendor's support console, apart from every instance. Who is logged in comes
 * from GET /support/me; without an operator session, the support login and its steps.
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, supportApi, type Operator } from '../api.ts';
import { Alert } from '../components/field.tsx';
import { errorText } from '../errors.ts';
import { navigate, useLocation } from '../router.ts';
import { SupportConsole } from './support-console.tsx';
import { SUPPORT_PATH, SupportLoginPage, SupportSetupPage, SupportVerifyPage } from './support-login.tsx';
import { SupportShell } from './support-shell.tsx';
import { messages, useMessages } from '../i18n/index.ts';

type State =
  | { status: 'loading' }
  | { status: 'anonymous'; notice: string | null }
  | { status: 'signed-in'; operator: Operator }
  | { status: 'error'; message: string };

export function SupportApp() {
  const location = useLocation();
  const step = location.searchParams.get('step');
  const [state, setState] = useState<State>({ status: 'loading' });
  const m = useMessages();

  const reload = useCallback(async (notice: string | null = null) => {
    setState({ status: 'loading' });
    try {
      setState({ status: 'signed-in', operator: await supportApi.me() });
    } catch (failure) {
      // 401: no operator session (or a login not finished); 403: an instance session in this browser.
      if (failure instanceof ApiError && (failure.status === 401 || failure.status === 403)) setState({ status: 'anonymous', notice });
      else setState({ status: 'error', message: errorText(failure, messages().supportConsole.loadFailed) });
    }
  }, []);

  useEffect(() => {
    // During a login step nobody is logged in yet; leaving it loads who is. Why "loading" first:
    // the login page must not flash (and take the step's notice) on the way to the console.
    if (step === 'setup' || step === 'verify') setState({ status: 'loading' });
    else void reload();
  }, [reload, step]);

  const logOut = async () => {
    try {
      await supportApi.logout();
    } catch (failure) {
      // 401: the session had already ended, which is what the operator asked for.
      if (!(failure instanceof ApiError && failure.status === 401)) {
        setState({ status: 'error', message: errorText(failure, m.shell.logOutFailed) });
        return;
      }
    }
    setState({ status: 'anonymous', notice: m.supportConsole.loggedOut });
    navigate(SUPPORT_PATH);
  };

  // Leaving a step for /support reloads who is logged in (the effect above): nothing more to do.
  if (step === 'setup')
    return (
      <SupportShell>
        <SupportSetupPage onDone={() => undefined} />
      </SupportShell>
    );
  if (step === 'verify')
    return (
      <SupportShell>
        <SupportVerifyPage onDone={() => undefined} />
      </SupportShell>
    );
  if (state.status === 'loading') {
    return (
      <SupportShell>
        <p className="loading" role="status">
          {m.common.loading}
        </p>
      </SupportShell>
    );
  }
  if (state.status === 'error')
    return (
      <SupportShell>
        <Alert>{state.message}</Alert>
      </SupportShell>
    );
  if (state.status === 'anonymous')
    return (
      <SupportShell>
        <SupportLoginPage notice={state.notice} onDone={() => void reload()} />
      </SupportShell>
    );
  return (
    <SupportShell operator={state.operator} onLogOut={() => void logOut()}>
      <SupportConsole
        slug={location.searchParams.get('instance')}
        onSessionEnded={() => setState({ status: 'anonymous', notice: m.supportConsole.ended })}
      />
    </SupportShell>
  );
}
