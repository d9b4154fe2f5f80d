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

type Loaded = { status: 'loading' } | { status: 'ready' } | { status: 'failed'; message: string };

export function SecuritySettings() {
  const { withStepUp, stepUpDialog } = useStepUp();
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
      (failure: unknown) => setLoaded({ status: 'failed', message: errorText(failure, 'Loading the settings failed.') }),
    );
  }, []);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const days = Number(trustDays);
    setError(null);
    setSaved(null);
    const valid = trustDays.trim() !== '' && Number.isInteger(days) && days >= 0 && days <= 30;
    setFieldError(valid ? undefined : 'Enter a whole number of days from 0 to 30.');
    if (!valid) return;
    setBusy(true);
    try {
      const { knownLocations } = await withStepUp(() => api.saveInstanceSettings({ trustDays: days, requireSameNetwork }));
      show(knownLocations);
      setSaved('The security settings were saved.');
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      if (failure instanceof ApiError && failure.field === 'trustDays') setFieldError(failure.message);
      else setError(errorText(failure, 'Saving the settings failed.'));
    } finally {
      setBusy(false);
    }
  };

  if (loaded.status === 'loading') return <p role="status">Loading…</p>;
  if (loaded.status === 'failed') return <Alert>{loaded.message}</Alert>;
  return (
    <>
      <form className="form form-narrow" onSubmit={(event) => void save(event)} noValidate>
        <h2>Known locations</h2>
        <p className="muted">
          A browser where someone entered a code from their authenticator app logs in with the password only for a while. These rules apply
          to everyone in this instance from their next login.
        </p>
        {fixed ? (
          <Notice tone="info">
            On the Professional plan, a browser stays trusted for 30 days on the same network. The Business and Enterprise plans let you
            change these rules.
          </Notice>
        ) : null}
        {error ? <Alert>{error}</Alert> : null}
        {saved ? <Notice tone="success">{saved}</Notice> : null}
        <fieldset disabled={fixed}>
          <TextField
            id="settings-trust-days"
            label="Trust known locations for (days)"
            type="number"
            inputMode="numeric"
            min={0}
            max={30}
            step={1}
            required
            className="input-short"
            hint="From 0 to 30. 0 asks for a code at every login."
            error={fieldError}
            value={trustDays}
            onChange={(event) => setTrustDays(event.target.value)}
          />
          <CheckboxField
            id="settings-same-network"
            label="Ask for a code again when the network changes"
            hint="A trusted browser that shows up from another network (another office, home, a phone's hotspot) is asked for a code."
            checked={requireSameNetwork}
            onChange={(event) => setRequireSameNetwork(event.target.checked)}
          />
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              Save
            </button>
          </div>
        </fieldset>
      </form>
      {stepUpDialog}
    </>
  );
}
