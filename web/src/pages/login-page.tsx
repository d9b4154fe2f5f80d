/** Login, step 1: instance, email and password. The next steps live in login-steps.ts. */
import { useRef, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { Alert, Notice, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { errorText } from '../errors.ts';
import { Link, useLocation, useNotice } from '../router.ts';
import { useSession } from '../session.tsx';
import { goToStep } from './login-steps.ts';

export function LoginPage() {
  const location = useLocation();
  const notice = useNotice();
  const { refresh } = useSession();
  const [instance, setInstance] = useState(() => location.searchParams.get('instance') ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
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
      await goToStep(await api.login({ instance: instance.trim(), email: email.trim(), password }), refresh);
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
    <Page title="Log in" narrow>
      {notice ? <Notice>{notice}</Notice> : null}
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
      <p className="page-footer-action">
        <Link to={`/forgot${instance.trim() ? `?instance=${encodeURIComponent(instance.trim())}` : ''}`}>Forgot your password?</Link>
      </p>
    </Page>
  );
}
