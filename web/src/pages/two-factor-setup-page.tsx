/**
 * Setting up an authenticator app (SPEC rule 7): a QR code and the same key as text, confirmed
 * with one code. Reached from login (step "setup", with "Postpone" when the instance allows it)
 * and from My Profile ("Set up now", "Replace authenticator app"), where the current password,
 * and to replace an app a current code from it, come first (SPEC rule 4).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type Me, type TotpSetup } from '../api.ts';
import { useCodeEntry } from '../components/code-entry.tsx';
import { FactorChangeForm, NewPhoneHelp } from '../components/factor-change.tsx';
import { Alert, CodeField, readCode } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { errorText, isLoginGone } from '../errors.ts';
import { Link, navigate } from '../router.ts';
import { loginUrl } from '../login-place.ts';
import { useSession } from '../session.tsx';
import { goToStep, LOGIN_GONE_NOTICE, leaveLogin, type Postponing } from './login-steps.ts';
import { SecretKey } from './secret-key.tsx';
import { formatDate } from '../time.ts';

/** From login: `postponing` null when setup is required now (SPEC rule 3). */
type Mode = { kind: 'login'; postponing: Postponing | null } | { kind: 'profile'; me: Me };
type Started = { status: 'starting' } | { status: 'ready'; setup: TotpSetup } | { status: 'failed'; message: string };

const DONE_NOTICE = 'Two-factor authentication is active. From now on, a new browser asks for a code from your authenticator app.';

export function TwoFactorSetupPage({ mode }: { mode: Mode }) {
  const { refresh } = useSession();

  /** The server's answer when this login or session can no longer set up an app. */
  const leave = async (failure: unknown) => {
    if (mode.kind === 'login' && isLoginGone(failure)) navigate(loginUrl(), { notice: LOGIN_GONE_NOTICE });
    else if (failure instanceof ApiError && failure.code === 'unauthenticated') await refresh();
    else return false;
    return true;
  };

  const finish = async (code: string) => {
    await goToStep(await api.confirmTotpSetup(code), refresh, DONE_NOTICE);
  };

  return (
    <Page title="Set up two-factor authentication">
      <p className="lead">
        {mode.kind === 'login'
          ? 'Your account uses two-factor authentication. Connect an authenticator app before you continue.'
          : 'Connect an authenticator app to your account.'}
      </p>
      {mode.kind === 'profile' ? (
        <ProfileSetup me={mode.me} handled={leave} onConfirm={finish} />
      ) : (
        <LoginSetup handled={leave} onConfirm={finish} />
      )}
      <SetupExits mode={mode} refresh={refresh} />
    </Page>
  );
}

/**
 * From My Profile: the proof first (a stolen session must not bind or replace an app), then the
 * steps with the key it returned. "Start again" asks for the proof again: its code is used up.
 */
function ProfileSetup({
  me,
  handled,
  onConfirm,
}: {
  me: Me;
  handled: (failure: unknown) => Promise<boolean>;
  onConfirm: (code: string) => Promise<void>;
}) {
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const replacing = me.twoFactor.associated;
  if (replacing && me.secondFactor === 'backup_code') {
    return (
      <div className="card">
        <NewPhoneHelp role={me.role} instanceName={me.instance.name} />
      </div>
    );
  }
  if (setup)
    return (
      <SetupFlow
        initial={setup}
        request={() => Promise.resolve(setup)}
        handled={handled}
        onConfirm={onConfirm}
        onRestart={() => setSetup(null)}
      />
    );
  return (
    <SetupProof
      needsCode={replacing}
      text={
        replacing
          ? 'Enter your current password and the current code from the authenticator app you use now. The new app replaces it: the old app stops working, every other browser is logged out, and a new backup code is emailed to you.'
          : 'Enter your current password to connect an authenticator app to your account.'
      }
      handled={handled}
      onSetup={setSetup}
    />
  );
}

/** The proof before a key is shown: the current password, and a current code when replacing an app. */
function SetupProof({
  needsCode,
  text,
  handled,
  onSetup,
}: {
  needsCode: boolean;
  text: string;
  handled: (failure: unknown) => Promise<boolean>;
  onSetup: (setup: TotpSetup) => void;
}) {
  return (
    <div className="card">
      <h2>Confirm it is you</h2>
      <p>{text}</p>
      <FactorChangeForm
        id="setup-proof"
        needsCode={needsCode}
        fallback="Starting the setup failed. Try again."
        buttons={(busy) => (
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              Continue
            </button>
          </div>
        )}
        onSubmit={async (proof) => {
          try {
            onSetup(await api.startTotpSetup(proof));
          } catch (failure) {
            if (!(await handled(failure))) throw failure;
          }
        }}
      />
    </div>
  );
}

/**
 * From login: the key at once, since the password was just typed. A session that the instance's
 * new enforcement holds at setup was no such login: the server answers reauthentication_required,
 * and the password comes first (a stolen session must not bind an app).
 */
function LoginSetup({
  handled,
  onConfirm,
}: {
  handled: (failure: unknown) => Promise<boolean>;
  onConfirm: (code: string) => Promise<void>;
}) {
  const [proofNeeded, setProofNeeded] = useState(false);
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const askForProof = useCallback(
    async (failure: unknown) => {
      if (failure instanceof ApiError && failure.code === 'reauthentication_required') {
        setProofNeeded(true);
        return true;
      }
      return handled(failure);
    },
    [handled],
  );
  const request = useCallback(() => api.startTotpSetup(), []);
  if (setup)
    return (
      <SetupFlow
        initial={setup}
        request={() => Promise.resolve(setup)}
        handled={handled}
        onConfirm={onConfirm}
        onRestart={() => setSetup(null)}
      />
    );
  if (!proofNeeded) return <SetupFlow request={request} handled={askForProof} onConfirm={onConfirm} />;
  return (
    <SetupProof
      needsCode={false}
      text="Your organisation now requires two-factor authentication. Enter your current password to connect an authenticator app."
      handled={handled}
      onSetup={setSetup}
    />
  );
}

/**
 * Asks the server for a new key once the page opens, then shows the three steps; "Start again"
 * asks for another. Also the support console's first login.
 */
export function SetupFlow({
  request,
  handled,
  onConfirm,
  initial,
  onRestart,
}: {
  request: () => Promise<TotpSetup>;
  /** A failure the page answers itself (the login expired): true, and nothing is shown here. */
  handled: (failure: unknown) => Promise<boolean>;
  onConfirm: (code: string) => Promise<void>;
  /** A key already started (My Profile, after the proof): shown at once, nothing requested. */
  initial?: TotpSetup;
  /** "Start again" instead of a new request (My Profile: the proof comes first again). */
  onRestart?: () => void;
}) {
  const [started, setStarted] = useState<Started>(initial ? { status: 'ready', setup: initial } : { status: 'starting' });
  const requested = useRef(initial !== undefined);

  const fail = useCallback(
    async (failure: unknown) => {
      if (!(await handled(failure))) setStarted({ status: 'failed', message: errorText(failure, 'Starting the setup failed.') });
    },
    [handled],
  );

  const start = useCallback(async () => {
    setStarted({ status: 'starting' });
    try {
      setStarted({ status: 'ready', setup: await request() });
    } catch (failure) {
      await fail(failure);
    }
  }, [request, fail]);

  useEffect(() => {
    // Why once: each POST makes a new secret, and only the latest one can be confirmed.
    if (requested.current) return;
    requested.current = true;
    void start();
  }, [start]);

  if (started.status === 'starting') {
    return (
      <p className="card" role="status">
        Preparing your key…
      </p>
    );
  }
  if (started.status === 'failed') return <Alert>{started.message}</Alert>;
  return <SetupSteps setup={started.setup} onConfirm={onConfirm} onRestart={onRestart ?? (() => void start())} onGone={fail} />;
}

interface StepsProps {
  setup: TotpSetup;
  onConfirm: (code: string) => Promise<void>;
  onRestart: () => void;
  onGone: (failure: unknown) => Promise<void>;
}

/** The three steps (app, QR code and key, code). */
function SetupSteps({ setup, onConfirm, onRestart, onGone }: StepsProps) {
  const {
    value: code,
    setValue: setCode,
    fieldError,
    error,
    busy,
    input,
    submit,
  } = useCodeEntry({
    read: readCode,
    send: onConfirm,
    fallback: 'Confirming the code failed. Try again.',
    handled: async (failure) => {
      if (!isLoginGone(failure)) return false;
      await onGone(failure);
      return true;
    },
  });
  const expired = error?.failure instanceof ApiError && error.failure.code === 'conflict';

  return (
    <ol className="setup-steps">
      <li className="card">
        <h2>Install an authenticator app</h2>
        <p>
          Any app for time-based codes (TOTP) works, for example Aegis, FreeOTP, Google Authenticator, Microsoft Authenticator or the one in
          your password manager.
        </p>
      </li>
      <li className="card">
        <h2>Add your account to the app</h2>
        <p>
          In the app, add an account and scan this QR code. The app lists it as <strong>{setup.issuer}</strong>.
        </p>
        <img
          className="qr-code"
          src={`data:image/svg+xml;base64,${btoa(setup.qrSvg)}`}
          alt="QR code for your authenticator app"
          width="208"
          height="208"
        />
        <p className="otpauth-link">
          {/* Why a link too: on a phone the QR code is on the screen that would have to scan it. */}
          <a href={setup.otpauthUri}>Add it to an authenticator app on this device</a>
        </p>
        <SecretKey secret={setup.secret} grouped={setup.secretGrouped} />
      </li>
      <li className="card">
        <h2>Enter the code from the app</h2>
        <p>Enter the code from your authenticator app for {setup.issuer}.</p>
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          {error ? (
            <Alert>
              {error.text}{' '}
              {expired ? (
                <button type="button" className="link-button" onClick={onRestart}>
                  Start again
                </button>
              ) : null}
            </Alert>
          ) : null}
          <CodeField id="setup-code" ref={input} value={code} onChange={setCode} error={fieldError} />
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              Verify
            </button>
          </div>
        </form>
      </li>
    </ol>
  );
}

/** Postpone (login, when allowed), log out (login), or back to My Profile. */
function SetupExits({ mode, refresh }: { mode: Mode; refresh: () => Promise<unknown> }) {
  const [error, setError] = useState<string | null>(null);
  if (mode.kind === 'profile') {
    return (
      <p className="page-footer-action">
        <Link to="/profile">Cancel and go back to My Profile</Link>
      </p>
    );
  }
  const postpone = async () => {
    setError(null);
    try {
      await goToStep(await api.postponeSetup(), refresh);
    } catch (failure) {
      if (isLoginGone(failure)) return navigate(loginUrl(), { notice: LOGIN_GONE_NOTICE });
      setError(errorText(failure, 'Postponing failed.'));
    }
  };
  return (
    <div className="card setup-exits">
      {error ? <Alert>{error}</Alert> : null}
      {mode.postponing ? (
        <>
          <PostponeTerms postponing={mode.postponing} />
          <button type="button" className="button button-secondary" onClick={() => void postpone()}>
            Postpone
          </button>
        </>
      ) : (
        <p>Your organisation requires two-factor authentication, so it must be set up before you can continue.</p>
      )}
      <button type="button" className="link-button" onClick={() => void leaveLogin()}>
        Cancel and log out
      </button>
    </div>
  );
}

/** "Required from December 1, 2026. You can postpone 2 more times." — what the policy still allows. */
function PostponeTerms({ postponing }: { postponing: Postponing }) {
  const { left, from } = postponing;
  if (left === undefined && !from) return <p>Not now? You can set it up at your next login or from My Profile.</p>;
  const times =
    left === undefined
      ? 'Until then, you can postpone it to a later login.'
      : `You can postpone ${left} more ${left === 1 ? 'time' : 'times'}.`;
  return (
    <p>
      {from ? (
        <>
          <strong>
            Required from <time dateTime={from}>{formatDate(from)}</time>.
          </strong>{' '}
        </>
      ) : null}
      {times}
    </p>
  );
}
