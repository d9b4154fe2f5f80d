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
import { useMessages } from '../i18n/index.ts';

export function LoginPage() {
  const location = useLocation();
  const notice = useNotice();
  const m = useMessages();
  const { refresh } = useSession();
  const place = loginPlace(location);
  const [typed, setTyped] = useState(() => location.searchParams.get('instance') ?? lastInstance());
  const instance = place.slug ?? typed.trim();

  if (place.slug && place.name === null) {
    return (
      <Page title={m.login.title} narrow>
        <Alert>{m.login.noInstance(place.slug)}</Alert>
      </Page>
    );
  }

  const logIn = async (credentials: { email: string; password: string }) => {
    const step = await api.login({ instance, ...credentials });
    rememberInstance(instance.toLowerCase());
    await goToStep(step, refresh);
  };

  return (
    <Page title={place.name ? m.login.titleAt(place.name) : m.login.title} narrow>
      {notice ? <Notice>{notice}</Notice> : null}
      {place.interaction ? <p>{m.login.application(place.name ?? place.slug ?? '')}</p> : null}
      <LoginForm idPrefix="login" missing={place.slug ? m.login.missingAtInstance : m.login.missing} incomplete={!instance} onLogin={logIn}>
        {place.slug ? null : (
          <TextField
            id="login-instance"
            label={m.common.instance}
            name="instance"
            autoComplete="organization"
            autoCapitalize="none"
            spellCheck={false}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            hint={m.login.instanceHint}
            required
          />
        )}
      </LoginForm>
      <p className="page-footer-action">
        <Link to={`/forgot${instance ? `?instance=${encodeURIComponent(instance)}` : ''}`}>{m.login.forgot}</Link>
      </p>
    </Page>
  );
}
