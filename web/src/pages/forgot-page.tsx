/**
 * "Forgot your password?": asks for a reset link by email. The answer is the same whether or not
 * the account exists (the server's 204 says nothing either way), and so is this page.
 */
import { VendorSupport } from '../components/support-contact.tsx';
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { Alert, Notice, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { errorText } from '../errors.ts';
import { Link, useLocation } from '../router.ts';
import { useMessages } from '../i18n/index.ts';

export function ForgotPage() {
  const location = useLocation();
  const m = useMessages();
  const [instance, setInstance] = useState(() => location.searchParams.get('instance') ?? '');
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (!instance.trim() || !email.trim()) return setError(m.forgot.missing);
    setBusy(true);
    try {
      await api.forgotPassword({ instance: instance.trim(), email: email.trim() });
      setSentTo(email.trim());
    } catch (failure) {
      setError(errorText(failure, m.forgot.failed));
    } finally {
      setBusy(false);
    }
  };

  const login = `/login${instance.trim() ? `?instance=${encodeURIComponent(instance.trim())}` : ''}`;
  if (sentTo) {
    return (
      <Page title={m.forgot.sentTitle} narrow>
        <div className="card">
          <Notice>{m.forgot.sent(sentTo)}</Notice>
          <p>{m.forgot.nothingArrives(<VendorSupport />)}</p>
          <p>{m.forgot.noLink}</p>
          <p>
            <Link to={login}>{m.forgot.backToLogin}</Link>
          </p>
        </div>
      </Page>
    );
  }
  return (
    <Page title={m.forgot.title} narrow>
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        <p className="form-intro">{m.forgot.intro}</p>
        {error ? <Alert>{error}</Alert> : null}
        <TextField
          id="forgot-instance"
          label={m.common.instance}
          autoComplete="organization"
          autoCapitalize="none"
          spellCheck={false}
          required
          hint={m.login.instanceHint}
          value={instance}
          onChange={(event) => setInstance(event.target.value)}
        />
        <TextField
          id="forgot-email"
          label={m.common.email}
          type="email"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {m.forgot.submit}
        </button>
      </form>
      <p className="page-footer-action">
        <Link to={login}>{m.forgot.backToLogin}</Link>
      </p>
    </Page>
  );
}
