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
import { messages, useMessages } from '../i18n/index.ts';
import { planName } from '../pages/profile-page.tsx';

type Plan = SupportInstance['plan'];
const PLANS: Plan[] = ['professional', 'business', 'enterprise'];

/** What a move to `next` turns off, in the words of docs/plans.md. */
function effects(from: Plan, next: Plan): string | null {
  const m = messages().supportConsole;
  if (from === next) return null;
  if (from === 'enterprise') return next === 'professional' ? m.planDownFromEnterpriseToProfessional : m.planDownFromEnterprise;
  if (next === 'professional') return m.planDownToProfessional;
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
  const m = useMessages();
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
      setError(errorText(failure, m.supportConsole.planFailed));
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
          label={m.supportConsole.plan}
          hint={warning ?? m.supportConsole.planHint}
          value={plan}
          onChange={(event) => setPlan(event.target.value)}
        >
          {PLANS.map((value) => (
            <option key={value} value={value}>
              {planName(m, value)}
            </option>
          ))}
        </SelectField>
        <div className="button-row">
          <button type="submit" className="button button-secondary" disabled={busy || plan === instance.plan}>
            {m.supportConsole.changePlan}
          </button>
        </div>
      </form>
      {stepUpDialog}
    </>
  );
}
