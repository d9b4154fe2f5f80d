/**
 * Login, step 2 from a new location: a code from the authenticator app. "I don't have my device"
 * explains the way out and offers the backup code that was emailed (SPEC rule 6, §5).
 */
import { useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { Alert, CheckboxField, CodeField, normalizeCode, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { errorText, isLoginGone } from '../errors.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { goToStep, LOGIN_GONE_NOTICE, leaveLogin } from './login-steps.ts';

export function VerifyPage() {
  const { refresh } = useSession();
  const helpId = useId();
  const [value, setValue] = useState('');
  const [useBackupCode, setUseBackupCode] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  // The field takes focus when the page opens, not when the checkbox swaps it (focus stays there).
  const [switched, setSwitched] = useState(false);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const proof = () => {
    if (useBackupCode) return value.trim() ? { backupCode: value.trim() } : null;
    const code = normalizeCode(value);
    return code ? { code } : null;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const factor = proof();
    setError(null);
    setFieldError(factor ? undefined : useBackupCode ? 'Enter the backup code from the email.' : 'Enter the 6 digits your authenticator app shows.');
    if (!factor) return input.current?.focus();
    setBusy(true);
    try {
      await goToStep(await api.verify(factor), refresh);
    } catch (failure) {
      if (isLoginGone(failure)) return navigate('/login', { notice: LOGIN_GONE_NOTICE });
      setError(errorText(failure, 'Verifying the code failed. Try again.'));
      setValue('');
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  const switchMethod = (backup: boolean) => {
    setUseBackupCode(backup);
    setSwitched(true);
    setValue('');
    setFieldError(undefined);
    setError(null);
  };

  return (
    <Page title="Two-factor authentication" narrow>
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        <p className="form-intro">
          {useBackupCode
            ? 'Enter the backup code from the email keyward sent you. Each backup code works once; a new one is emailed after you use it.'
            : 'Open the authenticator app on your phone and enter the code it shows for keyward.'}
        </p>
        {error ? <Alert>{error}</Alert> : null}
        {useBackupCode ? (
          <TextField
            id="verify-backup-code"
            ref={input}
            label="Backup code"
            name="backupCode"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            hint="16 letters and digits, like 7KQ4-M9XD-2HTR-PW6C. Upper or lower case, with or without the dashes."
            error={fieldError}
            value={value}
            onChange={(event) => setValue(event.target.value)}
          />
        ) : (
          <CodeField id="verify-code" ref={input} value={value} onChange={setValue} error={fieldError} autoFocus={!switched} />
        )}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          Verify
        </button>
        <div className="disclosure">
          <button type="button" className="link-button" aria-expanded={helpOpen} aria-controls={helpId} onClick={() => setHelpOpen(!helpOpen)}>
            I don't have my device
          </button>
          {helpOpen ? (
            <div id={helpId} className="disclosure-panel">
              <p>
                When you set up two-factor authentication, keyward emailed you a backup code. You can log in with it once
                instead of a code from the app. If you have neither, ask an administrator of your instance to reset two-factor
                authentication for your account.
              </p>
              <CheckboxField
                id="verify-use-backup-code"
                label="Use a backup code instead"
                checked={useBackupCode}
                onChange={(event) => switchMethod(event.target.checked)}
              />
            </div>
          ) : null}
        </div>
      </form>
      <p className="page-footer-action">
        <button type="button" className="link-button" onClick={() => void leaveLogin()}>
          Cancel and log in again
        </button>
      </p>
    </Page>
  );
}
