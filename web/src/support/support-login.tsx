/**
 * The support console's login (docs/recovery-and-audit.md): email and password, then always a
 * second factor. The first login sets up an authenticator app; every later one asks for its code.
 * Operators have no backup code and no known locations. The steps live in /support's query string
 * (`?step=setup`, `?step=verify`) so a reload keeps them.
 */
import { api, ApiError, supportApi, type LoginStep } from '../api.ts';
import { useCodeEntry, VerifyCodePage } from '../components/code-entry.tsx';
import { CodeField, Notice, readCode } from '../components/field.tsx';
import { LoginForm } from '../components/login-form.tsx';
import { FooterButton, Page } from '../components/page.tsx';
import { isLoginGone } from '../errors.ts';
import { navigate, useNotice } from '../router.ts';
import { loginGoneNotice } from '../pages/login-steps.ts';
import { SetupFlow } from '../pages/two-factor-setup-page.tsx';
import { messages, useMessages } from '../i18n/index.ts';

export const SUPPORT_PATH = '/support';

/** Where a login step goes next; `done` reloads who is logged in. */
function goTo(step: LoginStep, onDone: () => void): void {
  if (step.next === 'setup') return navigate(`${SUPPORT_PATH}?step=setup`);
  if (step.next === 'verify') return navigate(`${SUPPORT_PATH}?step=verify`);
  if (step.next === 'done') {
    navigate(SUPPORT_PATH);
    return onDone();
  }
  // Operators have no password expiry; anything else is a step this console does not know.
  navigate(SUPPORT_PATH, { notice: messages().supportConsole.cannotContinue });
}

/** Abandons a half-finished login: the server forgets it, and the login form comes back. */
async function leaveLogin(): Promise<void> {
  await supportApi.logout().catch(() => undefined);
  navigate(SUPPORT_PATH, { replace: true });
}

export function SupportLoginPage({ onDone, notice: given }: { onDone: () => void; notice?: string | null }) {
  const notice = useNotice() ?? given ?? null;
  const m = useMessages();
  return (
    <Page title={m.supportConsole.loginTitle} narrow>
      <p className="lead">{m.supportConsole.loginLead}</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <LoginForm
        idPrefix="support"
        missing={m.login.missingAtInstance}
        onLogin={async (credentials) => goTo(await supportApi.login(credentials), onDone)}
      />
    </Page>
  );
}

/** Every login after the first: a code from the operator's authenticator app. */
export function SupportVerifyPage({ onDone }: { onDone: () => void }) {
  const m = useMessages();
  const entry = useCodeEntry({
    read: readCode,
    send: async (code) => goTo(await supportApi.verify(code), onDone),
    fallback: m.codeEntry.verifyFailed,
    handled: (failure) => {
      if (!isLoginGone(failure)) return false;
      navigate(SUPPORT_PATH, { notice: loginGoneNotice() });
      return true;
    },
  });

  return (
    <VerifyCodePage
      intro={m.supportConsole.verifyIntro}
      error={entry.error}
      busy={entry.busy}
      onSubmit={entry.submit}
      field={
        <CodeField id="support-verify" ref={entry.input} value={entry.value} onChange={entry.setValue} error={entry.fieldError} autoFocus />
      }
      onLeave={leaveLogin}
    />
  );
}

/** The first login: an authenticator app is required before the console opens (no postponing). */
export function SupportSetupPage({ onDone }: { onDone: () => void }) {
  const m = useMessages();
  const gone = async (failure: unknown) => {
    if (!isLoginGone(failure)) return false;
    navigate(SUPPORT_PATH, { notice: loginGoneNotice() });
    return true;
  };

  const confirm = async (code: string) => {
    const step = await api.confirmTotpSetup(code);
    if (step.next !== 'done') return goTo(step, onDone);
    navigate(SUPPORT_PATH, { notice: m.supportConsole.setUpDone });
    onDone();
  };

  return (
    <Page title={m.setup.title}>
      <p className="lead">{m.supportConsole.setupLead}</p>
      <SetupFlow request={() => api.startTotpSetup()} handled={gone} onConfirm={confirm} />
      <FooterButton onClick={() => void leaveLogin()}>{m.password.cancelLogOut}</FooterButton>
    </Page>
  );
}

/** True when the support session has ended (idle 15 minutes, 2 hours at most, or logged out elsewhere). */
export function isSessionGone(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
