/**
 * The email and password form of a login: an instance's login page (which adds the instance
 * field before them) and the support console's. A refusal empties the password and focuses it.
 */
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { errorText } from '../errors.ts';
import { Alert, TextField } from './field.tsx';
import { useMessages } from '../i18n/index.ts';

interface Props {
  /** Starts the fields' ids: `login` gives `login-email` and `login-password`. */
  idPrefix: string;
  /** Said when a field is empty. */
  missing: string;
  /** True while a field given as `children` is still empty. */
  incomplete?: boolean;
  /** Logs in and goes on to the next step; a rejection is shown above the fields. */
  onLogin: (credentials: { email: string; password: string }) => Promise<void>;
  /** Fields before the email (the instance). */
  children?: ReactNode;
}

export function LoginForm({ idPrefix, missing, incomplete = false, onLogin, children }: Props) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordInput = useRef<HTMLInputElement>(null);
  const m = useMessages();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (incomplete || !email.trim() || !password) return setError(missing);
    setBusy(true);
    setError(null);
    try {
      await onLogin({ email: email.trim(), password });
    } catch (failure) {
      // 423 locked and 429 rate_limited: the message says how long to wait (Retry-After).
      setError(errorText(failure, m.login.failed));
      setPassword('');
      passwordInput.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
      {error ? <Alert>{error}</Alert> : null}
      {children}
      <TextField
        id={`${idPrefix}-email`}
        label={m.common.email}
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
        id={`${idPrefix}-password`}
        label={m.common.password}
        name="password"
        type="password"
        autoComplete="current-password"
        ref={passwordInput}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        required
      />
      <button type="submit" className="button button-primary button-block" disabled={busy}>
        {m.login.submit}
      </button>
    </form>
  );
}
