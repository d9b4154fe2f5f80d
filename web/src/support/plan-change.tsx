/**
 * The support console's plan change (issue 13): the vendor moves an instance to another plan.
 * Going down says first what ends (docs/plans.md); the change needs a fresh code (step-up).
 */
import { useState, type FormEvent } from 'react';
import { supportApi, type SupportInstance } from '../api.ts';
import { Alert, SelectField } from '../components/field.tsx';
import { errorText } from '../errors.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';
import { isSessionGone } from './support-login.tsx';
import { SUPPORT_STEP_UP } from './support-reset-dialog.tsx';

type Plan = SupportInstance['plan'];
const PLANS: Array<[Plan, string]> = [
  ['professional', 'Professional'],
  ['business', 'Business'],
  ['enterprise', 'Enterprise'],
];

/** What a move to `next` turns off, in the words of docs/plans.md. */
function effects(from: Plan, next: Plan): string | null {
  if (from === next) return null;
  if (from === 'enterprise')
    return next === 'professional'
      ? 'Auto-enable, enforced setup and password rotation end, and trusted browsers go back to 30 days on the same network. Users without an app choose again; apps already set up stay.'
      : 'Auto-enable, enforced setup and password rotation end. Users without an app choose again; apps already set up stay.';
  if (next === 'professional') return 'Trusted browsers go back to 30 days on the same network.';
  return null;
}

export function PlanChange({
  instance,
  onChanged,
  onSessionEnded,
}: {
  instance: SupportInstance;
  onChanged: (plan: Plan) => void;
  onSessionEnded: () => void;
}) {
  const { withStepUp, stepUpDialog } = useStepUp(SUPPORT_STEP_UP);
  const [plan, setPlan] = useState<Plan>(instance.plan);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const warning = effects(instance.plan, plan);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (plan === instance.plan) return;
    setError(null);
    setBusy(true);
    try {
      await withStepUp(() => supportApi.changePlan(instance.slug, plan));
      onChanged(plan);
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      if (isSessionGone(failure)) return onSessionEnded();
      setError(errorText(failure, 'Changing the plan failed.'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form className="form plan-change" onSubmit={(event) => void submit(event)} noValidate>
        {error ? <Alert>{error}</Alert> : null}
        <SelectField
          id="support-plan"
          label="Plan"
          hint={warning ?? 'Business adds trusted-browser settings; Enterprise adds auto-enable, enforced setup and password rotation.'}
          value={plan}
          onChange={(event) => setPlan(event.target.value)}
        >
          {PLANS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </SelectField>
        <div className="button-row">
          <button type="submit" className="button button-secondary" disabled={busy || plan === instance.plan}>
            Change plan
          </button>
        </div>
      </form>
      {stepUpDialog}
    </>
  );
}
