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
import { goToStep, leaveLogin, loginGoneNotice, type Postponing } from './login-steps.ts';
import { SecretKey } from './secret-key.tsx';
import { formatDate } from '../time.ts';
import { messages, useMessages } from '../i18n/index.ts';

/** From login: `postponing` null when setup is required now (SPEC rule 3). */
type Mode = { kind: 'login'; postponing: Postponing | null } | { kind: 'profile'; me: Me };
type Started = { status: 'starting' } | { status: 'ready'; setup: TotpSetup } | { status: 'failed'; message: string };

export function TwoFactorSetupPage({ mode }: { mode: Mode }) {
  const { refresh } = useSession();
  const m = useMessages();

  /** The server's answer when this login or session can no longer set up an app. */
  const leave = async (failure: unknown) => {
    if (mode.kind === 'login' && isLoginGone(failure)) navigate(loginUrl(), { notice: loginGoneNotice() });
    else if (failure instanceof ApiError && failure.code === 'unauthenticated') await refresh();
    else return false;
    return true;
  };

  const finish = async (code: string) => {
    await goToStep(await api.confirmTotpSetup(code), refresh, m.setup.done);
  };

  return (
    <Page title={m.setup.title}>
      <p className="lead">{mode.kind === 'login' ? m.setup.leadLogin : m.setup.leadProfile}</p>
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
  const m = useMessages();
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
    <SetupProof needsCode={replacing} text={replacing ? m.setup.proofReplace : m.setup.proofConnect} handled={handled} onSetup={setSetup} />
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
  const m = useMessages();
  return (
    <div className="card">
      <h2>{m.setup.confirmTitle}</h2>
      <p>{text}</p>
      <FactorChangeForm
        id="setup-proof"
        needsCode={needsCode}
        fallback={m.setup.startFailed}
        buttons={(busy) => (
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              {m.setup.continue}
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
  const m = useMessages();
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
  return <SetupProof needsCode={false} text={m.setup.proofEnforced} handled={handled} onSetup={setSetup} />;
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
  const m = useMessages();
  const [started, setStarted] = useState<Started>(initial ? { status: 'ready', setup: initial } : { status: 'starting' });
  const requested = useRef(initial !== undefined);

  const fail = useCallback(
    async (failure: unknown) => {
      if (!(await handled(failure))) setStarted({ status: 'failed', message: errorText(failure, messages().setup.startFailedShort) });
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
        {m.setup.preparing}
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
  const m = useMessages();
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
    fallback: m.setup.confirmFailed,
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
        <h2>{m.setup.installTitle}</h2>
        <p>{m.setup.installText}</p>
      </li>
      <li className="card">
        <h2>{m.setup.addTitle}</h2>
        <p>{m.setup.addText(<strong>{setup.issuer}</strong>)}</p>
        <img className="qr-code" src={`data:image/svg+xml;base64,${btoa(setup.qrSvg)}`} alt={m.setup.qrAlt} width="208" height="208" />
        <p className="otpauth-link">
          {/* Why a link too: on a phone the QR code is on the screen that would have to scan it. */}
          <a href={setup.otpauthUri}>{m.setup.addOnDevice}</a>
        </p>
        <SecretKey secret={setup.secret} grouped={setup.secretGrouped} />
      </li>
      <li className="card">
        <h2>{m.setup.codeTitle}</h2>
        <p>{m.setup.codeText(setup.issuer ?? '')}</p>
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          {error ? (
            <Alert>
              {error.text}{' '}
              {expired ? (
                <button type="button" className="link-button" onClick={onRestart}>
                  {m.setup.startAgain}
                </button>
              ) : null}
            </Alert>
          ) : null}
          <CodeField id="setup-code" ref={input} value={code} onChange={setCode} error={fieldError} />
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              {m.codeEntry.verify}
            </button>
          </div>
        </form>
      </li>
    </ol>
  );
}

/** Postpone (login, when allowed), log out (login), or back to My Profile. */
function SetupExits({ mode, refresh }: { mode: Mode; refresh: () => Promise<unknown> }) {
  const m = useMessages();
  const [error, setError] = useState<string | null>(null);
  if (mode.kind === 'profile') {
    return (
      <p className="page-footer-action">
        <Link to="/profile">{m.password.backToProfile}</Link>
      </p>
    );
  }
  const postpone = async () => {
    setError(null);
    try {
      await goToStep(await api.postponeSetup(), refresh);
    } catch (failure) {
      if (isLoginGone(failure)) return navigate(loginUrl(), { notice: loginGoneNotice() });
      setError(errorText(failure, m.setup.postponeFailed));
    }
  };
  return (
    <div className="card setup-exits">
      {error ? <Alert>{error}</Alert> : null}
      {mode.postponing ? (
        <>
          <PostponeTerms postponing={mode.postponing} />
          <button type="button" className="button button-secondary" onClick={() => void postpone()}>
            {m.setup.postpone}
          </button>
        </>
      ) : (
        <p>{m.setup.required}</p>
      )}
      <button type="button" className="link-button" onClick={() => void leaveLogin()}>
        {m.password.cancelLogOut}
      </button>
    </div>
  );
}

/** "Required from December 1, 2026. You can postpone 2 more times." — what the policy still allows. */
function PostponeTerms({ postponing }: { postponing: Postponing }) {
  const m = useMessages();
  const { left, from } = postponing;
  if (left === undefined && !from) return <p>{m.setup.notNow}</p>;
  const times = left === undefined ? m.setup.untilThen : m.setup.timesLeft(left);
  return (
    <p>
      {from ? (
        <>
          <strong>{m.setup.requiredFrom(<time dateTime={from}>{formatDate(from)}</time>)}</strong>{' '}
        </>
      ) : null}
      {times}
    </p>
  );
}
