/** Login, step 1: instance, email and password. The next steps live in login-steps.ts. */
import { useState } from 'react';
import { api } from '../api.ts';
import { Notice, TextField } from '../components/field.tsx';
import { LoginForm } from '../components/login-form.tsx';
import { Page } from '../components/page.tsx';
import { Link, useLocation, useNotice } from '../router.ts';
import { useSession } from '../session.tsx';
import { goToStep } from './login-steps.ts';

export function LoginPage() {
  const location = useLocation();
  const notice = useNotice();
  const { refresh } = useSession();
  const [instance, setInstance] = useState(() => location.searchParams.get('instance') ?? '');

  return (
    <Page title="Log in" narrow>
      {notice ? <Notice>{notice}</Notice> : null}
      <LoginForm
        idPrefix="login"
        missing="Enter your instance, email and password."
        incomplete={!instance.trim()}
        onLogin={async (credentials) => goToStep(await api.login({ instance: instance.trim(), ...credentials }), refresh)}
      >
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
      </LoginForm>
      <p className="page-footer-action">
        <Link to={`/forgot${instance.trim() ? `?instance=${encodeURIComponent(instance.trim())}` : ''}`}>Forgot your password?</Link>
      </p>
    </Page>
  );
}
