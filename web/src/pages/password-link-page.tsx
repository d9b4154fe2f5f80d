/**
 * The invitation link an administrator's "Add user" emails (`/invite#token=…`, single use, 7 days):
 * the new user chooses a password. It never logs in (SPEC rule 13: the mailbox alone never yields a
 * session), so the person logs in afterwards with the new password.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api.ts';
import { Alert, Notice, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { errorText } from '../errors.ts';
import { Link } from '../router.ts';

type FieldName = 'password' | 'repeat';

function readToken(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

/** The login page, with the instance filled in when the link named it (`/invite?instance=…#token=…`). */
function loginPath(): string {
  const instance = new URLSearchParams(window.location.search).get('instance');
  return instance ? `/login?instance=${encodeURIComponent(instance)}` : '/login';
}

export function InvitationPage() {
  const [token] = useState(readToken);
  const [login] = useState(loginPath);
  const [done, setDone] = useState(false);

  useEffect(() => {
    // Why: the token is a credential; it should not stay in the address bar, history or bookmarks.
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }, []);

  if (done) {
    return (
      <Page title="Your password is set" narrow>
        <div className="card">
          <Notice tone="success">Your account is ready.</Notice>
          <p>Log in with your email address and the password you just chose.</p>
          <p>
            <Link to={login}>Go to the login page</Link>
          </p>
        </div>
      </Page>
    );
  }
  if (!token) {
    return (
      <Page title="Choose your password" narrow>
        <p className="card">Open the link from your invitation email. It ends with #token=… and works once, for 7 days.</p>
      </Page>
    );
  }
  return <ChoosePassword token={token} onDone={() => setDone(true)} />;
}

function ChoosePassword({ token, onDone }: { token: string; onDone(): void }) {
  const [values, setValues] = useState<Record<FieldName, string>>({ password: '', repeat: '' });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [linkGone, setLinkGone] = useState(false);
  const [busy, setBusy] = useState(false);
  const inputs = { password: useRef<HTMLInputElement>(null), repeat: useRef<HTMLInputElement>(null) };

  const showFieldError = (field: FieldName, message: string) => {
    setFieldErrors({ [field]: message });
    inputs[field].current?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setFieldErrors({});
    if (!values.password) return showFieldError('password', 'Choose a password.');
    if (values.repeat !== values.password) return showFieldError('repeat', 'The two passwords are not the same. Type it again.');
    setBusy(true);
    try {
      await api.acceptInvitation({ token, password: values.password });
      onDone();
    } catch (failure) {
      if (failure instanceof ApiError && failure.field === 'password') {
        setValues({ password: '', repeat: '' });
        showFieldError('password', failure.message);
      } else {
        // 403 forbidden (field token): used, expired or never issued.
        setLinkGone(failure instanceof ApiError && failure.code === 'forbidden');
        setError(errorText(failure, 'Setting the password failed. Try again.'));
      }
    } finally {
      setBusy(false);
    }
  };

  const field = (name: FieldName) => ({
    ref: inputs[name],
    value: values[name],
    error: fieldErrors[name],
    onChange: (event: { target: { value: string } }) => setValues((now) => ({ ...now, [name]: event.target.value })),
  });

  return (
    <Page title="Choose your password" narrow>
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        <p className="form-intro">An administrator created an account for you. Choose the password you will log in with.</p>
        {error ? (
          <Alert>
            {error}
            {linkGone ? ' Ask the administrator who invited you to send a new invitation.' : null}
          </Alert>
        ) : null}
        <TextField
          id="invite-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 12 characters (your organisation may ask for more). A few unrelated words make a strong password that is easy to remember."
          {...field('password')}
        />
        <TextField id="invite-repeat" label="Repeat password" type="password" autoComplete="new-password" required {...field('repeat')} />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          Set password
        </button>
      </form>
    </Page>
  );
}
