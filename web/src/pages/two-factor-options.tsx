/**
 * My Profile → General Options → two-factor authentication (SPEC rule 4): the switch, its
 * status, "Set up now" while no app is set up, and the current password with a current code to
 * turn it off once one is; with an app, the backup code action. After a backup-code login, the way
 * to a new phone instead of the changes a backup code cannot make.
 */
import { useId, useState } from 'react';
import { api, type Me } from '../api.ts';
import { Dialog, DialogButtons } from '../components/dialog.tsx';
import { FactorChangeForm, NewPhoneHelp } from '../components/factor-change.tsx';
import { Alert } from '../components/field.tsx';
import { Switch } from '../components/switch.tsx';
import { errorText } from '../errors.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { BackupCodeOption } from './backup-code-option.tsx';
import { useMessages } from '../i18n/index.ts';

export function TwoFactorOptions({ me }: { me: Me }) {
  const { refresh } = useSession();
  const m = useMessages();
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
      setError(errorText(failure, m.twoFactor.changeFailed));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={`${statusId}-heading`}>
      <h2 id={`${statusId}-heading`}>{m.twoFactor.heading}</h2>
      {error ? <Alert>{error}</Alert> : null}
      <div className="setting">
        <Switch
          label={m.twoFactor.switch}
          checked={me.twoFactor.enabled}
          busy={busy}
          locked={locked || viaBackupCode}
          describedBy={statusId}
          onChange={(on) => void change(on)}
        />
        <p id={statusId} className="setting-status" aria-live="polite">
          <span className={`status status-${status}`}>{m.twoFactor.status[status]}</span>
          {locked ? <span className="muted">{m.twoFactor.enforced}</span> : null}
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
        <Dialog title={m.twoFactor.offTitle} onClose={() => setAskingCode(false)}>
          {(titleId) => (
            <FactorChangeForm
              id={titleId}
              intro={
                <>
                  <h2 id={titleId} className="dialog-title">
                    {m.twoFactor.offTitle}
                  </h2>
                  <div className="dialog-description">
                    <p>{m.twoFactor.offText}</p>
                  </div>
                </>
              }
              needsCode
              fallback={m.twoFactor.offFailed}
              buttons={(pending) => (
                <DialogButtons submitLabel={m.twoFactor.turnOff} destructive busy={pending} onCancel={() => setAskingCode(false)} />
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
  const m = useMessages();
  if (me.twoFactor.status === 'pending') {
    return (
      <div className="setting-next">
        <p>{m.twoFactor.pendingNext}</p>
        <button type="button" className="button button-primary" onClick={() => navigate('/profile/two-factor')}>
          {m.twoFactor.setUpNow}
        </button>
      </div>
    );
  }
  if (me.twoFactor.status === 'active') {
    return (
      <div className="setting-next">
        <p>{m.twoFactor.activeRemembered}</p>
        <p>{m.twoFactor.activeNewPhone}</p>
        <button type="button" className="button button-secondary" onClick={() => navigate('/profile/two-factor')}>
          {m.twoFactor.replace}
        </button>
      </div>
    );
  }
  return <p className="setting-next">{m.twoFactor.offNext}</p>;
}
