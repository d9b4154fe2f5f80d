/**
 * Login, step 1: email and password, with the instance field on /login; an instance's own login
 * page (/i/{slug}/login) names the instance instead. The next steps live in login-steps.ts.
 */
import { useState } from 'react';
import { api } from '../api.ts';
import { Alert, Notice, TextField } from '../components/field.tsx';
import { LoginForm } from '../components/login-form.tsx';
import { Page } from '../components/page.tsx';
import { lastInstance, loginPlace, rememberInstance } from '../login-place.ts';
import { Link, useLocation, useNotice } from '../router.ts';
import { useSession } from '../session.tsx';
import { goToStep } from './login-steps.ts';

export function LoginPage() {
  const location = useLocation();
  const notice = useNotice();
  const { refresh } = useSession();
  const place = loginPlace(location);
  const [typed, setTyped] = useState(() => location.searchParams.get('instance') ?? lastInstance());
  const instance = place.slug ?? typed.trim();

  if (place.slug && place.name === null) {
    return (
      <Page title="Log in" narrow>
        <Alert>There is no instance “{place.slug}”. Check the address, or ask your administrator for it.</Alert>
      </Page>
    );
  }

  const logIn = async (credentials: { email: string; password: string }) => {
    const step = await api.login({ instance, ...credentials });
    rememberInstance(instance.toLowerCase());
    await goToStep(step, refresh);
  };

  return (
    <Page title={place.name ? `Log in to ${place.name}` : 'Log in'} narrow>
      {notice ? <Notice>{notice}</Notice> : null}
      {place.interaction ? <p>An application asks you to sign in with your {place.name} account.</p> : null}
      <LoginForm
        idPrefix="login"
        missing={place.slug ? 'Enter your email and password.' : 'Enter your instance, email and password.'}
        incomplete={!instance}
        onLogin={logIn}
      >
        {place.slug ? null : (
          <TextField
            id="login-instance"
            label="Instance"
            name="instance"
            autoComplete="organization"
            autoCapitalize="none"
            spellCheck={false}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            hint="Your organisation's short name, as in your welcome email."
            required
          />
        )}
      </LoginForm>
      <p className="page-footer-action">
        <Link to={`/forgot${instance ? `?instance=${encodeURIComponent(instance)}` : ''}`}>Forgot your password?</Link>
      </p>
    </Page>
  );
}
