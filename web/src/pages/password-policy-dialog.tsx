/**
 * Settings → Users → "Password policy" (SPEC §1, rules 1–3 and 10): 2FA auto-enable and enforced
 * setup (with a date and a postponement limit), and the password rules. Enterprise-only controls
 * are disabled on other plans, but the server decides: its plan_required is shown if it comes.
 */
import { useRef, useState, type FormEvent } from 'react';
import { ApiError, api, type PasswordPolicy, type PolicyPatch } from '../api.ts';
import { DialogButtons, FormDialog } from '../components/dialog.tsx';
import { Alert, CheckboxField, TextField } from '../components/field.tsx';
import { errorText } from '../errors.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';
import { messages, useMessages } from '../i18n/index.ts';

type NumberField = 'maxPostpones' | 'minLength' | 'maxAgeDays' | 'warnDays' | 'historyCount';
type FieldName = NumberField | 'enforceFrom';

interface Form {
  autoEnable: boolean;
  enforceSetup: boolean;
  /** YYYY-MM-DD as the date input holds it; empty: at once. */
  enforceFrom: string;
  maxPostpones: string;
  minLength: string;
  maxAgeDays: string;
  warnDays: string;
  historyCount: string;
}

const FIELD_BY_API_FIELD: Record<string, FieldName> = {
  'twoFactor.enforceFrom': 'enforceFrom',
  'twoFactor.maxPostpones': 'maxPostpones',
  'password.minLength': 'minLength',
  'password.maxAgeDays': 'maxAgeDays',
  'password.warnDays': 'warnDays',
  'password.historyCount': 'historyCount',
};

const pad = (n: number) => String(n).padStart(2, '0');

/** The local calendar day of an instant, as a date input shows it. */
function dayOf(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function toForm(policy: PasswordPolicy): Form {
  const text = (value: number | null) => (value === null ? '' : String(value));
  return {
    autoEnable: policy.twoFactor.autoEnable,
    enforceSetup: policy.twoFactor.enforceSetup,
    enforceFrom: policy.twoFactor.enforceFrom ? dayOf(new Date(policy.twoFactor.enforceFrom)) : '',
    maxPostpones: text(policy.twoFactor.maxPostpones),
    minLength: text(policy.password.minLength),
    maxAgeDays: text(policy.password.maxAgeDays),
    warnDays: text(policy.password.warnDays),
    historyCount: text(policy.password.historyCount),
  };
}

/** The start of the chosen day where the admin is; the saved instant when the day was not changed. */
function enforceFromValue(form: Form, saved: PasswordPolicy): string | null {
  if (!form.enforceSetup || !form.enforceFrom) return null;
  const before = saved.twoFactor.enforceFrom;
  if (before && dayOf(new Date(before)) === form.enforceFrom) return before;
  const [year, month, day] = form.enforceFrom.split('-').map(Number);
  return new Date(year!, month! - 1, day).toISOString();
}

type Parsed = { patch: PolicyPatch } | { field: FieldName; message: string };

/**
 * What to send: the whole policy, so the server judges every rule (ranges, plan, consistency).
 * Here only the form's own shape is checked: whole numbers, and empty where empty means "none".
 * Settings that depend on a switched-off one are cleared, so nothing hidden stays in force.
 */
function parse(form: Form, saved: PasswordPolicy): Parsed {
  const numbers: Partial<Record<NumberField, number | null>> = {};
  const optional: NumberField[] = ['maxPostpones', 'maxAgeDays', 'warnDays'];
  for (const field of ['maxPostpones', 'minLength', 'maxAgeDays', 'warnDays', 'historyCount'] as const) {
    const text = form[field].trim();
    if (text === '' && optional.includes(field)) numbers[field] = null;
    else if (/^\d{1,6}$/.test(text)) numbers[field] = Number(text);
    else return { field, message: text === '' ? messages().policy.enterNumber : messages().policy.enterWhole };
  }
  if (form.enforceSetup && form.enforceFrom && !/^\d{4}-\d{2}-\d{2}$/.test(form.enforceFrom))
    return { field: 'enforceFrom', message: messages().policy.enterDate };
  return {
    patch: {
      twoFactor: {
        autoEnable: form.autoEnable,
        enforceSetup: form.autoEnable && form.enforceSetup,
        enforceFrom: enforceFromValue(form, saved),
        maxPostpones: form.autoEnable && form.enforceSetup ? (numbers.maxPostpones ?? null) : null,
      },
      password: {
        minLength: numbers.minLength!,
        maxAgeDays: numbers.maxAgeDays ?? null,
        warnDays: numbers.maxAgeDays === null ? null : (numbers.warnDays ?? null),
        historyCount: numbers.historyCount!,
      },
    },
  };
}

interface Props {
  plan: string;
  policy: PasswordPolicy;
  onSaved: (policy: PasswordPolicy) => void;
  onCancel: () => void;
}

export function PasswordPolicyDialog({ plan, policy, onSaved, onCancel }: Props) {
  const { withStepUp, stepUpDialog } = useStepUp();
  const m = useMessages();
  const [form, setForm] = useState<Form>(() => toForm(policy));
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formElement = useRef<HTMLFormElement>(null);
  const enterprise = plan === 'enterprise';
  const enterpriseOnly = enterprise ? '' : m.policy.enterpriseOnly;

  const set = <K extends keyof Form>(name: K, value: Form[K]) => setForm((now) => ({ ...now, [name]: value }));

  const showFieldError = (field: FieldName, message: string) => {
    setFieldErrors({ [field]: message });
    formElement.current?.querySelector<HTMLElement>(`#policy-${field}`)?.focus();
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setFieldErrors({});
    const parsed = parse(form, policy);
    if ('field' in parsed) return showFieldError(parsed.field, parsed.message);
    setBusy(true);
    try {
      onSaved(await withStepUp(() => api.savePasswordPolicy(parsed.patch)));
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      const field = failure instanceof ApiError && failure.field ? FIELD_BY_API_FIELD[failure.field] : undefined;
      if (field) showFieldError(field, errorText(failure, m.policy.valueFailed));
      else setError(errorText(failure, m.policy.saveFailed));
    } finally {
      setBusy(false);
    }
  };

  const number = (name: NumberField, label: string, hint: string, disabled = false) => (
    <TextField
      id={`policy-${name}`}
      label={label}
      type="number"
      inputMode="numeric"
      className="input-short"
      hint={hint}
      disabled={disabled}
      error={fieldErrors[name]}
      value={form[name]}
      onChange={(event) => set(name, event.target.value)}
    />
  );

  return (
    <>
      <FormDialog title={m.policy.title} onClose={onCancel} wide formRef={formElement} onSubmit={(event) => void save(event)}>
        <p className="dialog-description muted">{m.policy.text}</p>
        {enterprise ? null : (
          <p className="plan-note">
            <span className="badge">{m.policy.enterpriseBadge}</span> {m.policy.enterpriseNote}
          </p>
        )}
        {error ? <Alert>{error}</Alert> : null}
        <fieldset>
          <legend>{m.policy.authentication}</legend>
          <CheckboxField
            id="policy-autoEnable"
            label={m.policy.autoEnable}
            hint={`${enterpriseOnly}${m.policy.autoEnableHint}`}
            disabled={!enterprise}
            checked={form.autoEnable}
            onChange={(event) =>
              setForm((now) => ({ ...now, autoEnable: event.target.checked, enforceSetup: event.target.checked && now.enforceSetup }))
            }
          />
          {/* Indented under what they depend on: each is disabled until that is checked. */}
          <div className="field-nested">
            <CheckboxField
              id="policy-enforceSetup"
              label={m.policy.enforceSetup}
              hint={`${enterpriseOnly}${m.policy.enforceSetupHint}`}
              disabled={!enterprise || !form.autoEnable}
              checked={form.enforceSetup}
              onChange={(event) => set('enforceSetup', event.target.checked)}
            />
            <div className="field-nested">
              <TextField
                id="policy-enforceFrom"
                label={m.policy.enforceFrom}
                type="date"
                className="input-date"
                min={dayOf(new Date())}
                hint={`${enterpriseOnly}${m.policy.enforceFromHint}`}
                disabled={!enterprise || !form.enforceSetup}
                error={fieldErrors.enforceFrom}
                value={form.enforceFrom}
                onChange={(event) => set('enforceFrom', event.target.value)}
              />
              {number(
                'maxPostpones',
                m.policy.maxPostpones,
                `${enterpriseOnly}${m.policy.maxPostponesHint}`,
                !enterprise || !form.enforceSetup,
              )}
            </div>
          </div>
        </fieldset>
        <fieldset>
          <legend>{m.policy.password}</legend>
          <div className="field-grid">
            {number('minLength', m.policy.minLength, m.policy.minLengthHint)}
            {number('historyCount', m.policy.history, m.policy.historyHint)}
            {number('maxAgeDays', m.policy.maxAge, `${enterpriseOnly}${m.policy.maxAgeHint}`, !enterprise)}
            {number('warnDays', m.policy.warnDays, m.policy.warnDaysHint, !enterprise || form.maxAgeDays.trim() === '')}
          </div>
        </fieldset>
        <DialogButtons submitLabel={m.policy.save} busy={busy} onCancel={onCancel} />
      </FormDialog>
      {/* A sibling, not a child: the step-up dialog has its own form, and opens on top of this one. */}
      {stepUpDialog}
    </>
  );
}
