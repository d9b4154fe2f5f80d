/**
 * Login, step 2 from a new location: a code from the authenticator app. "I don't have my device"
 * explains the way out and offers the backup code that was emailed (SPEC rule 6, §5).
 */
import { useState } from 'react';
import { api } from '../api.ts';
import { useCodeEntry, VerifyCodePage } from '../components/code-entry.tsx';
import { NoDeviceDisclosure, readSecondFactor, SecondFactorField } from '../components/second-factor.tsx';
import { isLoginGone } from '../errors.ts';
import { navigate } from '../router.ts';
import { loginUrl } from '../login-place.ts';
import { useSession } from '../session.tsx';
import { goToStep, LOGIN_GONE_NOTICE, leaveLogin, verifyIssuer } from './login-steps.ts';

/** After a backup-code login: the code is used up, a new one is on its way, and what to do about a lost phone. */
export const BACKUP_CODE_NOTICE =
  'You signed in with a backup code, so that code no longer works: a new backup code has been emailed to you. Lost your phone? Under Login security below you find how to replace the authenticator app.';

export function VerifyPage() {
  const { refresh } = useSession();
  const [useBackupCode, setUseBackupCode] = useState(false);
  // The field takes focus when the page opens, not when the checkbox swaps it (focus stays there).
  const [switched, setSwitched] = useState(false);
  // The entry of the app to read, as the login step named it ("Globex (keyward)", issue 13).
  const [issuer] = useState(verifyIssuer);
  const entry = useCodeEntry({
    read: (value) => readSecondFactor(value, useBackupCode),
    send: async (factor) => goToStep(await api.verify(factor), refresh, 'backupCode' in factor ? BACKUP_CODE_NOTICE : undefined),
    fallback: 'Verifying the code failed. Try again.',
    handled: (failure) => {
      if (!isLoginGone(failure)) return false;
      navigate(loginUrl(), { notice: LOGIN_GONE_NOTICE });
      return true;
    },
  });

  const switchMethod = (backup: boolean) => {
    setUseBackupCode(backup);
    setSwitched(true);
    entry.clear();
  };

  return (
    <VerifyCodePage
      intro={
        useBackupCode
          ? 'Enter the backup code from the email keyward sent you. Each backup code works once; a new one is emailed after you use it.'
          : issuer
            ? `Open the authenticator app on your phone and enter the 6-digit code it shows for “${issuer}”.`
            : 'Open the authenticator app on your phone and enter the code it shows for this account (listed under your organisation’s name, with “(keyward)” after it).'
      }
      error={entry.error}
      busy={entry.busy}
      onSubmit={entry.submit}
      field={
        <SecondFactorField
          id="verify"
          ref={entry.input}
          useBackupCode={useBackupCode}
          value={entry.value}
          onChange={entry.setValue}
          error={entry.fieldError}
          autoFocus={!switched}
        />
      }
      after={<NoDeviceDisclosure id="verify" useBackupCode={useBackupCode} onSwitch={switchMethod} />}
      onLeave={leaveLogin}
    />
  );
}
