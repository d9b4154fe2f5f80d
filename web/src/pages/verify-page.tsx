/**
 * Login, step 2 from a new location: a code from the authenticator app. "I don't have my device"
 * explains the way out and offers the backup code that was emailed (SPEC rule 6, §5).
 */
import { useRef, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { Alert } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { NoDeviceDisclosure, readSecondFactor, SecondFactorField } from '../components/second-factor.tsx';
import { errorText, isLoginGone } from '../errors.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { goToStep, LOGIN_GONE_NOTICE, leaveLogin } from './login-steps.ts';

export function VerifyPage() {
  const { refresh } = useSession();
  const [value, setValue] = useState('');
  const [useBackupCode, setUseBackupCode] = useState(false);
  // The field takes focus when the page opens, not when the checkbox swaps it (focus stays there).
  const [switched, setSwitched] = useState(false);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const read = readSecondFactor(value, useBackupCode);
    setError(null);
    setFieldError('problem' in read ? read.problem : undefined);
    if ('problem' in read) return input.current?.focus();
    setBusy(true);
    try {
      await goToStep(await api.verify(read.factor), refresh);
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
        <SecondFactorField id="verify" ref={input} useBackupCode={useBackupCode} value={value} onChange={setValue} error={fieldError} autoFocus={!switched} />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          Verify
        </button>
        <NoDeviceDisclosure id="verify" useBackupCode={useBackupCode} onSwitch={switchMethod} />
      </form>
      <p className="page-footer-action">
        <button type="button" className="link-button" onClick={() => void leaveLogin()}>
          Cancel and log in again
        </button>
      </p>
    </Page>
  );
}
