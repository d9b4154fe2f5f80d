/**
 * "Forgot your password?": asks for a reset link by email. The answer is the same whether or not
 * the account exists (the server's 204 says nothing either way), and so is this page.
 */
import { WhoHelps } from '../components/support-contact.tsx';
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { Alert, Notice, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { errorText } from '../errors.ts';
import { Link, useLocation } from '../router.ts';

export function ForgotPage() {
  const location = useLocation();
  const [instance, setInstance] = useState(() => location.searchParams.get('instance') ?? '');
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (!instance.trim() || !email.trim()) return setError('Enter your instance and email.');
    setBusy(true);
    try {
      await api.forgotPassword({ instance: instance.trim(), email: email.trim() });
      setSentTo(email.trim());
    } catch (failure) {
      setError(errorText(failure, 'Asking for a link failed. Try again.'));
    } finally {
      setBusy(false);
    }
  };

  const login = `/login${instance.trim() ? `?instance=${encodeURIComponent(instance.trim())}` : ''}`;
  if (sentTo) {
    return (
      <Page title="Check your email" narrow>
        <div className="card">
          <Notice>If {sentTo} has an account in this instance, keyward emailed it a link to choose a new password.</Notice>
          <p>
            The link works once, for one hour. If nothing arrives, check the address, or ask <WhoHelps role="member" />; administrators
            contact <WhoHelps role="admin" />.
          </p>
          <p>
            If two-factor authentication is turned on for your account but no authenticator app is set up yet (for example after an
            administrator reset it), the email carries no link: an email alone must never be enough to take over an account. Log in with
            your password and set up the app, or ask an administrator.
          </p>
          <p>
            <Link to={login}>Back to the login page</Link>
          </p>
        </div>
      </Page>
    );
  }
  return (
    <Page title="Forgot your password?" narrow>
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        <p className="form-intro">keyward emails you a link to choose a new password. Two-factor authentication stays as it is.</p>
        {error ? <Alert>{error}</Alert> : null}
        <TextField
          id="forgot-instance"
          label="Instance"
          autoComplete="organization"
          autoCapitalize="none"
          spellCheck={false}
          required
          hint="Your organisation's short name, as in your welcome email."
          value={instance}
          onChange={(event) => setInstance(event.target.value)}
        />
        <TextField
          id="forgot-email"
          label="Email"
          type="email"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          Email me a link
        </button>
      </form>
      <p className="page-footer-action">
        <Link to={login}>Back to the login page</Link>
      </p>
    </Page>
  );
}
