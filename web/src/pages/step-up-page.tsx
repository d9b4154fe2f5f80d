/**
 * An application asked for two-factor authentication (acr mfa) and this session logged in with a
 * password only (a known location): a current code from the app, posted to /auth/step-up (the
 * one step-up of SPEC rule 12, backup codes refused there), then back to the application.
 */
import { api } from '../api.ts';
import { useCodeEntry, VerifyCodePage } from '../components/code-entry.tsx';
import { readSecondFactor, SecondFactorField } from '../components/second-factor.tsx';
import { isLoginGone } from '../errors.ts';
import { loginUrl, returnToInteraction } from '../login-place.ts';
import { navigate } from '../router.ts';
import { leaveLogin, loginGoneNotice } from './login-steps.ts';
import { useMessages } from '../i18n/index.ts';

export function StepUpPage() {
  const m = useMessages();
  const entry = useCodeEntry({
    read: (value) => readSecondFactor(value, false),
    send: async (factor) => {
      await api.stepUp(factor);
      returnToInteraction();
    },
    fallback: m.codeEntry.verifyFailed,
    handled: (failure) => {
      if (!isLoginGone(failure)) return false;
      navigate(loginUrl(), { notice: loginGoneNotice() });
      return true;
    },
  });

  return (
    <VerifyCodePage
      intro={m.stepUp.pageIntro}
      error={entry.error}
      busy={entry.busy}
      onSubmit={entry.submit}
      field={
        <SecondFactorField
          id="step-up"
          ref={entry.input}
          useBackupCode={false}
          value={entry.value}
          onChange={entry.setValue}
          error={entry.fieldError}
          autoFocus
        />
      }
      onLeave={leaveLogin}
    />
  );
}
