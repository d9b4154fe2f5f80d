/**
 * Changing the password (SPEC rule 10, §5): the forced change at login once the password has
 * expired (step change_password, after the second factor), and the voluntary change from My
 * Profile, which needs a fresh second factor when 2FA is active (rule 12: step-up). Either way
 * the server ends every other session and known location.
 */
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, type LoginStep } from '../api.ts';
import { Alert, TextField } from '../components/field.tsx';
import { FooterButton, Page } from '../components/page.tsx';
import { errorText, isLoginGone } from '../errors.ts';
import { Link, navigate } from '../router.ts';
import { loginUrl } from '../login-place.ts';
import { useSession } from '../session.tsx';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';
import { goToStep, leaveLogin, loginGoneNotice } from './login-steps.ts';
import { messages, useMessages } from '../i18n/index.ts';

type FieldName = 'current' | 'next' | 'repeat';

const FIELD_BY_API_FIELD: Record<string, FieldName> = { currentPassword: 'current', newPassword: 'next' };

/** The longest password the server takes (NIST SP 800-63B-4 §3.1.1.2: at least 64 allowed). */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * The minimum comes from the server (GET /me passwordMinLength): 15 where the password is the
 * only factor (NIST SP 800-63B-4), the organisation's minimum with two-factor authentication.
 */
export function newPasswordHint(minLength: number | null): string {
  const m = messages().password;
  // One limit, the server's (src/domain/account/password-rules.ts: MAX_PASSWORD_LENGTH), shown before anyone types.
  const least = minLength ? m.hintLeast(minLength, PASSWORD_MAX_LENGTH) : m.hintDefault(PASSWORD_MAX_LENGTH);
  return `${least} ${m.hintAdvice}`;
}

/** The server's sentence, except for reuse, where it names what to do whatever the history length. */
function fieldMessage(failure: unknown): string {
  if (failure instanceof ApiError && failure.code === 'password_reused') return messages().password.reused;
  return errorText(failure, messages().password.cannotUse);
}

interface FormProps {
  /** Sends the change; a StepUpCancelled rejection leaves the form as it was. */
  send: (input: { currentPassword: string; newPassword: string }) => Promise<LoginStep>;
  /** After the server accepted the new password. */
  onChanged: (step: LoginStep) => Promise<void>;
  /** The server says this login can no longer change the password (expired, replaced). */
  onGone?: (failure: unknown) => void;
  /** Focus the current password when the page opens (a login step, where nothing else is to do). */
  autoFocus?: boolean;
  /** The account's effective minimum length, when known (null at the expired-password step). */
  minLength?: number | null;
  children?: ReactNode;
}

export function ChangePasswordForm({ send, onChanged, onGone, autoFocus = false, minLength = null, children }: FormProps) {
  const m = useMessages();
  const [values, setValues] = useState<Record<FieldName, string>>({ current: '', next: '', repeat: '' });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputs = { current: useRef<HTMLInputElement>(null), next: useRef<HTMLInputElement>(null), repeat: useRef<HTMLInputElement>(null) };

  const showFieldError = (field: FieldName, message: string) => {
    setFieldErrors({ [field]: message });
    inputs[field].current?.focus();
  };

  /** What the server need not be asked about: empty fields, and two new passwords that differ. */
  const problem = (): [FieldName, string] | null => {
    if (!values.current) return ['current', m.fields.currentPasswordProblem];
    if (!values.next) return ['next', m.password.enterNew];
    if (values.repeat !== values.next) return ['repeat', m.password.notSame];
    return null;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setFieldErrors({});
    const found = problem();
    if (found) return showFieldError(...found);
    setBusy(true);
    try {
      const step = await send({ currentPassword: values.current, newPassword: values.next });
      await onChanged(step);
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      if (onGone && isLoginGone(failure)) return onGone(failure);
      const field = failure instanceof ApiError && failure.field ? FIELD_BY_API_FIELD[failure.field] : undefined;
      // A wrong current password: clear it. A refused new one: clear both new fields to retype.
      if (field === 'current') setValues((now) => ({ ...now, current: '' }));
      if (field === 'next') setValues((now) => ({ ...now, next: '', repeat: '' }));
      if (field) showFieldError(field, fieldMessage(failure));
      else setError(errorText(failure, m.password.failed));
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
    <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
      {children}
      {error ? <Alert>{error}</Alert> : null}
      <TextField
        id="password-current"
        label={m.fields.currentPassword}
        type="password"
        autoComplete="current-password"
        required
        autoFocus={autoFocus}
        {...field('current')}
      />
      <TextField
        id="password-new"
        label={m.password.newPassword}
        type="password"
        autoComplete="new-password"
        required
        hint={newPasswordHint(minLength)}
        {...field('next')}
      />
      <TextField id="password-repeat" label={m.password.repeat} type="password" autoComplete="new-password" required {...field('repeat')} />
      <button type="submit" className="button button-primary button-block" disabled={busy}>
        {m.password.submit}
      </button>
    </form>
  );
}

/** Login, last step: the password is correct but expired, and must be changed before a full session. */
export function ExpiredPasswordPage() {
  const { refresh } = useSession();
  const m = useMessages();
  return (
    <Page title={m.password.expiredTitle} narrow>
      <ChangePasswordForm
        send={(input) => api.changePassword(input)}
        onChanged={(step) => goToStep(step, refresh, m.password.changedShort)}
        onGone={() => navigate(loginUrl(), { notice: loginGoneNotice() })}
        autoFocus
      >
        <p className="form-intro">{m.password.expiredIntro}</p>
      </ChangePasswordForm>
      <FooterButton onClick={() => void leaveLogin()}>{m.password.cancelLogOut}</FooterButton>
    </Page>
  );
}

/** My Profile → Change password: voluntary; a session that skipped the code confirms it is you first. */
export function ChangePasswordPage() {
  const { refresh, state } = useSession();
  const { withStepUp, stepUpDialog } = useStepUp();
  const m = useMessages();
  return (
    <Page title={m.password.title} narrow>
      <ChangePasswordForm
        send={(input) => withStepUp(() => api.changePassword(input))}
        minLength={state.status === 'signed-in' ? state.me.passwordMinLength : null}
        onChanged={async () => {
          await refresh();
          navigate('/profile', { notice: m.password.changedNotice });
        }}
      >
        <p className="form-intro">{m.password.intro}</p>
      </ChangePasswordForm>
      <p className="page-footer-action">
        <Link to="/profile">{m.password.backToProfile}</Link>
      </p>
      {stepUpDialog}
    </Page>
  );
}
