/**
 * Settings → Security (administrators): how long a browser that entered a code stays trusted,
 * and whether a new network asks again. Saving may need a step-up (SPEC rule 12).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type KnownLocationSettings } from '../api.ts';
import { Alert, CheckboxField, Notice, TextField } from '../components/field.tsx';
import { errorText } from '../errors.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';
import { useSession } from '../session.tsx';
import { messages, useMessages } from '../i18n/index.ts';

type Loaded = { status: 'loading' } | { status: 'ready' } | { status: 'failed'; message: string };

export function SecuritySettings() {
  const { withStepUp, stepUpDialog } = useStepUp();
  const m = useMessages();
  const { state } = useSession();
  // The server refuses a change on Professional (plan_required); the form says so before anyone types.
  const fixed = state.status === 'signed-in' && state.me.instance.plan === 'professional';
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const [trustDays, setTrustDays] = useState('');
  const [requireSameNetwork, setRequireSameNetwork] = useState(true);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = (settings: KnownLocationSettings) => {
    setTrustDays(String(settings.trustDays));
    setRequireSameNetwork(settings.requireSameNetwork);
  };

  useEffect(() => {
    api.instanceSettings().then(
      ({ knownLocations }) => {
        show(knownLocations);
        setLoaded({ status: 'ready' });
      },
      (failure: unknown) => setLoaded({ status: 'failed', message: errorText(failure, messages().security.loadFailed) }),
    );
  }, []);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const days = Number(trustDays);
    setError(null);
    setSaved(null);
    const valid = trustDays.trim() !== '' && Number.isInteger(days) && days >= 0 && days <= 30;
    setFieldError(valid ? undefined : m.security.daysProblem);
    if (!valid) return;
    setBusy(true);
    try {
      const { knownLocations } = await withStepUp(() => api.saveInstanceSettings({ trustDays: days, requireSameNetwork }));
      show(knownLocations);
      setSaved(m.security.saved);
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      if (failure instanceof ApiError && failure.field === 'trustDays') setFieldError(errorText(failure, m.security.daysProblem));
      else setError(errorText(failure, m.security.saveFailed));
    } finally {
      setBusy(false);
    }
  };

  if (loaded.status === 'loading') return <p role="status">{m.common.loading}</p>;
  if (loaded.status === 'failed') return <Alert>{loaded.message}</Alert>;
  return (
    <>
      <form className="form form-narrow" onSubmit={(event) => void save(event)} noValidate>
        <h2>{m.security.heading}</h2>
        <p className="muted">{m.security.text}</p>
        {fixed ? <Notice tone="info">{m.security.fixed}</Notice> : null}
        {error ? <Alert>{error}</Alert> : null}
        {saved ? <Notice tone="success">{saved}</Notice> : null}
        <fieldset disabled={fixed}>
          <TextField
            id="settings-trust-days"
            label={m.security.trustDays}
            type="number"
            inputMode="numeric"
            min={0}
            max={30}
            step={1}
            required
            className="input-short"
            hint={m.security.trustDaysHint}
            error={fieldError}
            value={trustDays}
            onChange={(event) => setTrustDays(event.target.value)}
          />
          <CheckboxField
            id="settings-same-network"
            label={m.security.sameNetwork}
            hint={m.security.sameNetworkHint}
            checked={requireSameNetwork}
            onChange={(event) => setRequireSameNetwork(event.target.checked)}
          />
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              {m.security.save}
            </button>
          </div>
        </fieldset>
      </form>
      {stepUpDialog}
    </>
  );
}
