/**
 * My Profile → General Options → two-factor authentication (SPEC rule 4): the switch, its
 * status, "Set up now" while no app is set up, and the current password with a current code to
 * turn it off once one is; with an app, the backup code action. After a backup-code login, the way
 * to a new phone instead of the changes a backup code cannot make.
 */
import { useId, useState } from 'react';
import { api, type Me, type TwoFactorStatus } from '../api.ts';
import { Dialog, DialogButtons } from '../components/dialog.tsx';
import { FactorChangeForm, NewPhoneHelp } from '../components/factor-change.tsx';
import { Alert } from '../components/field.tsx';
import { Switch } from '../components/switch.tsx';
import { errorText } from '../errors.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { BackupCodeOption } from './backup-code-option.tsx';

const STATUS_TEXT: Record<TwoFactorStatus, string> = {
  active: 'Active — an authenticator app is set up',
  pending: 'Enabled — no app set up yet',
  off: 'Off',
};

export function TwoFactorOptions({ me }: { me: Me }) {
  const { refresh } = useSession();
  const statusId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [askingCode, setAskingCode] = useState(false);
  const { status, associated, enforced } = me.twoFactor;
  const locked = enforced && me.twoFactor.enabled;
  // Why: after a backup-code login the server refuses to remove the app (SPEC rule 4).
  const viaBackupCode = associated && me.secondFactor === 'backup_code';

  const change = async (enabled: boolean) => {
    setError(null);
    // Why the password and a code: turning 2FA off removes the app, so it needs proof of both in
    // this request, not just this session (SPEC rule 4).
    if (!enabled && associated) return setAskingCode(true);
    setBusy(true);
    try {
      await api.setTwoFactor(enabled ? { enabled: true } : { enabled: false });
      await refresh();
    } catch (failure) {
      setError(errorText(failure, 'Changing two-factor authentication failed.'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={`${statusId}-heading`}>
      <h2 id={`${statusId}-heading`}>Login security</h2>
      {error ? <Alert>{error}</Alert> : null}
      <div className="setting">
        <Switch
          label="Two-factor authentication"
          checked={me.twoFactor.enabled}
          busy={busy}
          locked={locked || viaBackupCode}
          describedBy={statusId}
          onChange={(on) => void change(on)}
        />
        <p id={statusId} className="setting-status" aria-live="polite">
          <span className={`status status-${status}`}>{STATUS_TEXT[status]}</span>
          {locked ? (
            <span className="muted"> Your organisation requires two-factor authentication for everyone, so it cannot be turned off.</span>
          ) : null}
        </p>
      </div>
      {viaBackupCode ? (
        <div className="setting-next">
          <NewPhoneHelp role={me.role} instanceName={me.instance.name} />
        </div>
      ) : (
        <TwoFactorNext me={me} />
      )}
      {associated && !viaBackupCode ? <BackupCodeOption me={me} /> : null}
      {askingCode ? (
        <Dialog title="Turn off two-factor authentication?" onClose={() => setAskingCode(false)}>
          {(titleId) => (
            <FactorChangeForm
              id={titleId}
              intro={
                <>
                  <h2 id={titleId} className="dialog-title">
                    Turn off two-factor authentication?
                  </h2>
                  <div className="dialog-description">
                    <p>
                      Enter your current password and the current code from your authenticator app. Turning it off removes the app from your
                      account, logs you out of every other browser, and every browser will log in with the password only.
                    </p>
                  </div>
                </>
              }
              needsCode
              fallback="Turning two-factor authentication off failed. Try again."
              buttons={(pending) => (
                <DialogButtons submitLabel="Turn off" destructive busy={pending} onCancel={() => setAskingCode(false)} />
              )}
              onSubmit={async (proof) => {
                await api.setTwoFactor({ enabled: false, ...proof });
                setAskingCode(false);
                void refresh();
              }}
            />
          )}
        </Dialog>
      ) : null}
    </section>
  );
}

/** What to do next for each status. */
function TwoFactorNext({ me }: { me: Me }) {
  if (me.twoFactor.status === 'pending') {
    return (
      <div className="setting-next">
        <p>Your next login will ask you to set up an authenticator app. You can also do it now.</p>
        <button type="button" className="button button-primary" onClick={() => navigate('/profile/two-factor')}>
          Set up now
        </button>
      </div>
    );
  }
  if (me.twoFactor.status === 'active') {
    return (
      <div className="setting-next">
        <p>
          A browser where you entered a code is remembered for a while (see Known locations); anywhere else, keyward asks for a code from
          your app.
        </p>
        <p>
          New phone? Replace the authenticator app: the old app stops working, every other browser is logged out, and a new backup code is
          emailed to you.
        </p>
        <button type="button" className="button button-secondary" onClick={() => navigate('/profile/two-factor')}>
          Replace authenticator app
        </button>
      </div>
    );
  }
  return <p className="setting-next">Turn it on to protect your account with a code from an authenticator app on your phone.</p>;
}
