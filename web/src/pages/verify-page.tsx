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
import { goToStep, leaveLogin, loginGoneNotice, verifyIssuer } from './login-steps.ts';
import { useMessages } from '../i18n/index.ts';

export function VerifyPage() {
  const { refresh } = useSession();
  const m = useMessages();
  const [useBackupCode, setUseBackupCode] = useState(false);
  // The field takes focus when the page opens, not when the checkbox swaps it (focus stays there).
  const [switched, setSwitched] = useState(false);
  // The entry of the app to read, as the login step named it ("Globex (keyward)", issue 13).
  const [issuer] = useState(verifyIssuer);
  const entry = useCodeEntry({
    read: (value) => readSecondFactor(value, useBackupCode),
    send: async (factor) => goToStep(await api.verify(factor), refresh, 'backupCode' in factor ? m.verify.backupNotice : undefined),
    fallback: m.codeEntry.verifyFailed,
    handled: (failure) => {
      if (!isLoginGone(failure)) return false;
      navigate(loginUrl(), { notice: loginGoneNotice() });
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
      intro={useBackupCode ? m.verify.backupIntro : issuer ? m.verify.codeIntroFor(issuer) : m.verify.codeIntro}
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
