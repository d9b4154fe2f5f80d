/** Login, step 1: instance, email and password. Later steps (2FA, password change) come later. */
import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type LoginStep } from '../api.ts';
import { Alert, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { navigate, useLocation } from '../router.ts';
import { useSession } from '../session.tsx';

const PENDING_STEP_TEXT: Record<Exclude<LoginStep['next'], 'done'>, string> = {
  verify: 'Your password is correct, but this account needs a verification code, and this version of keyward cannot ask for one yet.',
  setup: 'Your password is correct, but this account must set up two-factor authentication first, which this version of keyward cannot do yet.',
  change_password: 'Your password is correct, but it has expired, and this version of keyward cannot change it yet.',
};

export function LoginPage() {
  const location = useLocation();
  const { refresh } = useSession();
  const [instance, setInstance] = useState(() => location.searchParams.get('instance') ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pendingStep, setPendingStep] = useState<Exclude<LoginStep['next'], 'done'> | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordInput = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!instance.trim() || !email.trim() || !password) {
      setError('Enter your instance, email and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const step = await api.login({ instance: instance.trim(), email: email.trim(), password });
      if (step.next === 'done') {
        await refresh();
        navigate('/profile');
        return;
      }
      setPendingStep(step.next);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'Logging in failed.');
      setPassword('');
      passwordInput.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  if (pendingStep) {
    return (
      <Page title="Not available yet" narrow>
        <div className="card">
          <p role="status">{PENDING_STEP_TEXT[pendingStep]}</p>
          <p>Ask your administrator for help.</p>
          <button type="button" className="button button-secondary" onClick={() => void api.logout().catch(() => undefined).then(() => setPendingStep(null))}>
            Back to login
          </button>
        </div>
      </Page>
    );
  }

  return (
    <Page title="Log in" narrow>
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        {error ? <Alert>{error}</Alert> : null}
        <TextField
          id="login-instance"
          label="Instance"
          name="instance"
          autoComplete="organization"
          autoCapitalize="none"
          spellCheck={false}
          value={instance}
          onChange={(event) => setInstance(event.target.value)}
          hint="Your organisation's short name, as in your welcome email."
          required
        />
        <TextField
          id="login-email"
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
          id="login-password"
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
