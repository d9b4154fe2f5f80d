/**
 * The links keyward emails for choosing a password, single use, the token in the URL fragment:
 * an invitation from "Add user" (`/invite#token=…`, 7 days) and a password reset from "Forgot
 * your password?" (`/reset#token=…`, one hour). Neither logs in (SPEC rule 13: the mailbox alone
 * never yields a session), and a reset for someone whose 2FA is active also takes a current code
 * from the authenticator app, which the page asks for when the server does.
 */
import { newPasswordHint } from './change-password.tsx';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type PasswordLinkStatus } from '../api.ts';
import { Alert, CodeField, normalizeCode, Notice, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { errorText } from '../errors.ts';
import { Link } from '../router.ts';
import { useMessages } from '../i18n/index.ts';

export type LinkPurpose = 'invitation' | 'reset';
type FieldName = 'password' | 'repeat' | 'code' | 'recoveryCode';

function readToken(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

/** The login page, with the instance filled in when the link names it (`?instance=…`). */
function loginPath(): string {
  const instance = new URLSearchParams(window.location.search).get('instance');
  return instance ? `/login?instance=${encodeURIComponent(instance)}` : '/login';
}

export function PasswordLinkPage({ purpose }: { purpose: LinkPurpose }) {
  const [token] = useState(readToken);
  const [login] = useState(loginPath);
  const [done, setDone] = useState(false);
  const m = useMessages();
  const text = m.link[purpose];

  useEffect(() => {
    // Why: the token is a credential; it should not stay in the address bar, history or bookmarks.
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }, []);

  if (done) {
    return (
      <Page title={text.done} narrow>
        <div className="card">
          <Notice tone="success">{m.link.canLogIn}</Notice>
          <p>{m.link.logInWith}</p>
          <p>
            <Link to={login}>{m.link.goToLogin}</Link>
          </p>
        </div>
      </Page>
    );
  }
  if (!token) {
    return (
      <Page title={text.title} narrow>
        <p className="card">{m.link.openLink}</p>
      </Page>
    );
  }
  return <ChoosePassword purpose={purpose} token={token} onDone={() => setDone(true)} />;
}

function ChoosePassword({ purpose, token, onDone }: { purpose: LinkPurpose; token: string; onDone: () => void }) {
  const m = useMessages();
  const text = m.link[purpose];
  const [values, setValues] = useState<Record<FieldName, string>>({ password: '', repeat: '', code: '', recoveryCode: '' });
  const [askCode, setAskCode] = useState(false);
  // 2FA is on without an app: the link works only with the code an administrator gives in person or by phone.
  const [askRecoveryCode, setAskRecoveryCode] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [error, setError] = useState<{ text: string; gone: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  // Asked once as the page opens (issue 13), without spending the link: whose account and which
  // instance, whether it was used or expired, and the account's effective minimum length.
  const [minLength, setMinLength] = useState<number | null>(null);
  const [status, setStatus] = useState<PasswordLinkStatus | null>(null);
  useEffect(() => {
    api.linkStatus({ purpose, token }).then(
      (info) => {
        setStatus(info);
        if (info.passwordMinLength) setMinLength(info.passwordMinLength);
        if (info.recoveryCodeRequired) setAskRecoveryCode(true);
      },
      (failure: unknown) => refused(failure),
    );
  }, [purpose, token]);
  const inputs = {
    password: useRef<HTMLInputElement>(null),
    repeat: useRef<HTMLInputElement>(null),
    code: useRef<HTMLInputElement>(null),
    recoveryCode: useRef<HTMLInputElement>(null),
  };

  // A new object each time, so the same field takes focus again after another refusal.
  const [focusOn, setFocusOn] = useState<{ field: FieldName } | null>(null);
  useEffect(() => {
    // After the render, so a field that just appeared (the code) can take focus.
    if (focusOn) inputs[focusOn.field].current?.focus();
  }, [focusOn]);

  const showFieldError = (field: FieldName, message: string) => {
    setFieldErrors({ [field]: message });
    setFocusOn({ field });
  };

  const send = (code: string | null) => {
    const input = { token, password: values.password, ...(code ? { code } : {}) };
    if (purpose === 'invitation') return api.acceptInvitation(input);
    return api.resetPassword({ ...input, ...(askRecoveryCode ? { recoveryCode: values.recoveryCode.trim() } : {}) });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setFieldErrors({});
    if (!values.password) return showFieldError('password', m.link.choose);
    if (values.repeat !== values.password) return showFieldError('repeat', m.link.notSame);
    const code = askCode ? normalizeCode(values.code) : null;
    if (askCode && !code) return showFieldError('code', m.fields.codeProblem);
    if (askRecoveryCode && !values.recoveryCode.trim()) return showFieldError('recoveryCode', m.link.enterRecoveryCode);
    setBusy(true);
    try {
      await send(code);
      onDone();
    } catch (failure) {
      refused(failure);
    } finally {
      setBusy(false);
    }
  };

  const refused = (failure: unknown) => {
    const field = failure instanceof ApiError ? failure.field : undefined;
    if (field === 'code') {
      // 2FA is active: the server wants a current code as well (a backup code would come from the same mailbox).
      setAskCode(true);
      setValues((now) => ({ ...now, code: '' }));
      return showFieldError('code', errorText(failure, m.link.enterCode));
    }
    if (failure instanceof ApiError && failure.code === 'admin_recovery_required') {
      // The server wants the administrator's recovery code (missing or wrong): nothing was changed.
      setAskRecoveryCode(true);
      return showFieldError('recoveryCode', values.recoveryCode.trim() ? m.link.recoveryInvalid : m.link.enterRecoveryCode);
    }
    if (field === 'password') {
      // The code too: the server may have used it up before it looked at the password history.
      setValues((now) => ({ ...now, password: '', repeat: '', code: '' }));
      return showFieldError('password', errorText(failure, m.link.chooseAnother));
    }
    // 403 forbidden (field token): used, expired, replaced, or the account is disabled.
    setError({
      text: errorText(failure, m.link.failed),
      gone: failure instanceof ApiError && failure.code === 'forbidden',
    });
  };

  const field = (name: FieldName) => ({
    ref: inputs[name],
    value: values[name],
    error: fieldErrors[name],
    onChange: (event: { target: { value: string } }) => setValues((now) => ({ ...now, [name]: event.target.value })),
  });

  if (status && status.state !== 'valid') {
    return (
      <Page title={text.title} narrow>
        <div className="card">
          <Alert>{status.state === 'used' ? text.used : text.expired}</Alert>
          <p>{m.link.forAccount(<strong className="link-account">{status.email}</strong>, <strong>{status.instance.name}</strong>)}</p>
          <p>{status.state === 'used' ? m.link.logInUsed : text.gone}</p>
          <p>
            <a href={status.loginUrl}>{m.link.goToInstanceLogin(status.instance.name)}</a>
            {purpose === 'reset' ? (
              <>
                {' · '}
                <Link to="/forgot">{m.link.askNew}</Link>
              </>
            ) : null}
          </p>
        </div>
      </Page>
    );
  }
  return (
    <Page title={text.title} narrow>
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        {status ? (
          <p className="form-intro">
            {m.link.account(<strong className="link-account">{status.email}</strong>, <strong>{status.instance.name}</strong>)}
          </p>
        ) : null}
        <p className="form-intro">{text.intro}</p>
        {error ? (
          <Alert>
            {error.text}
            {error.gone ? ` ${text.gone}` : null}
            {error.gone && purpose === 'reset' ? (
              <>
                {' '}
                <Link to="/forgot">{m.link.askNew}</Link>
              </>
            ) : null}
          </Alert>
        ) : null}
        <TextField
          id="link-password"
          label={m.common.password}
          type="password"
          autoComplete="new-password"
          required
          hint={newPasswordHint(minLength)}
          {...field('password')}
        />
        <TextField id="link-repeat" label={m.link.repeat} type="password" autoComplete="new-password" required {...field('repeat')} />
        {askRecoveryCode ? (
          <>
            <p className="form-intro">{m.link.recoveryIntro}</p>
            <TextField
              id="link-recovery-code"
              label={m.link.recoveryLabel}
              autoComplete="off"
              spellCheck={false}
              required
              hint={m.link.recoveryHint}
              {...field('recoveryCode')}
            />
          </>
        ) : null}
        {askCode ? <p className="form-intro">{m.link.codeIntro}</p> : null}
        {askCode ? (
          <CodeField
            submitWhenComplete={false}
            id="link-code"
            ref={inputs.code}
            value={values.code}
            onChange={(code) => setValues((now) => ({ ...now, code }))}
            error={fieldErrors.code}
          />
        ) : null}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {text.submit}
        </button>
      </form>
    </Page>
  );
}
