/**
 * The support console's login (docs/recovery-and-audit.md): email and password, then always a
 * second factor. The first login sets up an authenticator app; every later one asks for its code.
 * Operators have no backup code and no known locations. The steps live in /support's query string
 * (`?step=setup`, `?step=verify`) so a reload keeps them.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, supportApi, type LoginStep, type TotpSetup } from '../api.ts';
import { Alert, CodeField, normalizeCode, Notice, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { errorText, isLoginGone } from '../errors.ts';
import { navigate, useNotice } from '../router.ts';
import { SetupSteps } from '../pages/two-factor-setup-page.tsx';

export const SUPPORT_PATH = '/support';
const LOGIN_GONE = 'Your login has expired or was replaced. Log in again.';

/** Where a login step goes next; `done` reloads who is logged in. */
function goTo(step: LoginStep, onDone: () => void): void {
  if (step.next === 'setup') return navigate(`${SUPPORT_PATH}?step=setup`);
  if (step.next === 'verify') return navigate(`${SUPPORT_PATH}?step=verify`);
  if (step.next === 'done') {
    navigate(SUPPORT_PATH);
    return onDone();
  }
  // Operators have no password expiry; anything else is a step this console does not know.
  navigate(SUPPORT_PATH, { notice: 'This login cannot continue here.' });
}

/** Abandons a half-finished login: the server forgets it, and the login form comes back. */
async function leaveLogin(): Promise<void> {
  await supportApi.logout().catch(() => undefined);
  navigate(SUPPORT_PATH, { replace: true });
}

export function SupportLoginPage({ onDone, notice: given }: { onDone(): void; notice?: string | null }) {
  const notice = useNotice() ?? given ?? null;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordInput = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!email.trim() || !password) return setError('Enter your email and password.');
    setBusy(true);
    setError(null);
    try {
      goTo(await supportApi.login({ email: email.trim(), password }), onDone);
    } catch (failure) {
      // 423 locked and 429 rate_limited: the message says how long to wait (Retry-After).
      setError(errorText(failure, 'Logging in failed.'));
      setPassword('');
      passwordInput.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Support login" narrow>
      <p className="lead">For the vendor's support staff. Administrators and users of an instance log in at their instance's login page.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        {error ? <Alert>{error}</Alert> : null}
        <TextField
          id="support-email"
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          required
        />
        <TextField
          id="support-password"
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          ref={passwordInput}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          required
        />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          Log in
        </button>
      </form>
    </Page>
  );
}

/** Every login after the first: a code from the operator's authenticator app. */
export function SupportVerifyPage({ onDone }: { onDone(): void }) {
  const [code, setCode] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const normalized = normalizeCode(code);
    setError(null);
    setFieldError(normalized ? undefined : 'Enter the 6 digits your authenticator app shows.');
    if (!normalized) return input.current?.focus();
    setBusy(true);
    try {
      goTo(await supportApi.verify(normalized), onDone);
    } catch (failure) {
      if (isLoginGone(failure)) return navigate(SUPPORT_PATH, { notice: LOGIN_GONE });
      setError(errorText(failure, 'Verifying the code failed. Try again.'));
      setCode('');
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Two-factor authentication" narrow>
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        <p className="form-intro">Open the authenticator app on your phone and enter the code it shows for keyward support.</p>
        {error ? <Alert>{error}</Alert> : null}
        <CodeField id="support-verify" ref={input} value={code} onChange={setCode} error={fieldError} autoFocus />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          Verify
        </button>
      </form>
      <p className="page-footer-action">
        <button type="button" className="link-button" onClick={() => void leaveLogin()}>
          Cancel and log in again
        </button>
      </p>
    </Page>
  );
}

type Started = { status: 'starting' } | { status: 'ready'; setup: TotpSetup } | { status: 'failed'; message: string };

/** The first login: an authenticator app is required before the console opens (no postponing). */
export function SupportSetupPage({ onDone }: { onDone(): void }) {
  const [started, setStarted] = useState<Started>({ status: 'starting' });
  const requested = useRef(false);

  const gone = useCallback(async (failure: unknown) => {
    if (isLoginGone(failure)) return navigate(SUPPORT_PATH, { notice: LOGIN_GONE });
    setStarted({ status: 'failed', message: errorText(failure, 'Starting the setup failed.') });
  }, []);

  const start = useCallback(async () => {
    setStarted({ status: 'starting' });
    try {
      setStarted({ status: 'ready', setup: await api.startTotpSetup() });
    } catch (failure) {
      await gone(failure);
    }
  }, [gone]);

  useEffect(() => {
    // Why once: each POST makes a new secret, and only the latest one can be confirmed.
    if (requested.current) return;
    requested.current = true;
    void start();
  }, [start]);

  const confirm = async (code: string) => {
    const step = await api.confirmTotpSetup(code);
    if (step.next !== 'done') return goTo(step, onDone);
    navigate(SUPPORT_PATH, { notice: 'Your authenticator app is set up. Every later login asks for its code.' });
    onDone();
  };

  return (
    <Page title="Set up two-factor authentication">
      <p className="lead">Support accounts always use two-factor authentication. Connect an authenticator app before you continue.</p>
      {started.status === 'starting' ? (
        <p className="card" role="status">
          Preparing your key…
        </p>
      ) : null}
      {started.status === 'failed' ? <Alert>{started.message}</Alert> : null}
      {started.status === 'ready' ? <SetupSteps setup={started.setup} onConfirm={confirm} onRestart={() => void start()} onGone={gone} /> : null}
      <p className="page-footer-action">
        <button type="button" className="link-button" onClick={() => void leaveLogin()}>
          Cancel and log out
        </button>
      </p>
    </Page>
  );
}

/** True when the support session has ended (idle 15 minutes, 2 hours at most, or logged out elsewhere). */
export function isSessionGone(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
