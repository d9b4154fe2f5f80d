/**
 * Support resets an administrator's 2FA (SPEC rule 9) only with a record of how their identity
 * was verified: a method, a reference (the ticket), and notes when the method is "Other". The
 * reset needs a code from the last 10 minutes: the step-up dialog asks for one and retries.
 */
import { useRef, useState, type FormEvent } from 'react';
import { ApiError, supportApi, type ApiErrorCode, type SecondFactor, type SupportUser, type VerificationMethod } from '../api.ts';
import { OFFERED_VERIFICATION_METHODS, verificationMethodText } from '../audit-words.ts';
import { DialogButtons, FormDialog } from '../components/dialog.tsx';
import { Alert, SelectField, TextAreaField, TextField } from '../components/field.tsx';
import { errorText } from '../errors.ts';
import { ResetEffects } from '../pages/user-dialogs.tsx';
import { StepUpCancelled, useStepUp, type StepUpTarget } from '../step-up.tsx';
import { messages, useMessages } from '../i18n/index.ts';

/** Operators have no backup code: the step-up takes a code from the app only. */
export const SUPPORT_STEP_UP: StepUpTarget = {
  stepUp: (factor: SecondFactor) =>
    'code' in factor ? supportApi.stepUp(factor.code) : Promise.reject(new Error(messages().supportConsole.noBackupCode)),
  allowBackupCode: false,
};

type Field = 'method' | 'reference' | 'notes';

const FIELD_IDS: Record<Field, string> = {
  method: 'verification-method',
  reference: 'verification-reference',
  notes: 'verification-notes',
};

/** The server names the refused part of the record: `verification.reference` and so on. */
function fieldOf(failure: ApiError): Field | null {
  const name = failure.field?.replace(/^verification\.?/, '') ?? '';
  if (name === 'method' || name === 'reference' || name === 'notes') return name;
  return failure.field === 'verification' ? 'method' : null;
}

function refusals(): Partial<Record<ApiErrorCode, string>> {
  const m = messages().supportConsole;
  return { forbidden: m.resetForbidden, not_found: m.resetNotFound };
}

interface Props {
  slug: string;
  instanceName: string;
  user: SupportUser;
  onReset: (reference: string) => void;
  /** A failure the console handles (the session ended, or the step-up was cancelled). */
  onFailed: (failure: unknown) => void;
  onCancel: () => void;
}

export function SupportResetDialog({ slug, instanceName, user, onReset, onFailed, onCancel }: Props) {
  const { withStepUp, stepUpDialog } = useStepUp(SUPPORT_STEP_UP);
  const m = useMessages();
  const [method, setMethod] = useState<VerificationMethod | ''>('');
  const [reference, setReference] = useState('');
  const [notes, setNotes] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const title = m.supportConsole.resetTitle(user.name);

  const show = (found: Partial<Record<Field, string>>) => {
    setErrors(found);
    const first = (['method', 'reference', 'notes'] as const).find((field) => found[field]);
    if (first) form.current?.querySelector<HTMLElement>(`#${FIELD_IDS[first]}`)?.focus();
  };

  /** What the form can tell before asking the server (the server checks the same). */
  const check = (): Partial<Record<Field, string>> => ({
    ...(method ? {} : { method: m.supportConsole.chooseMethod }),
    ...(reference.trim() ? {} : { reference: m.supportConsole.enterReference }),
    ...(method === 'other' && !notes.trim() ? { notes: m.supportConsole.describe } : {}),
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const found = check();
    show(found);
    if (Object.keys(found).length > 0 || !method) return;
    setBusy(true);
    try {
      const verification = { method, reference: reference.trim(), ...(notes.trim() ? { notes: notes.trim() } : {}) };
      await withStepUp(() => supportApi.resetTwoFactor(slug, user.id, verification));
      onReset(verification.reference);
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      if (failure instanceof ApiError && failure.status === 401) return onFailed(failure);
      const field = failure instanceof ApiError ? fieldOf(failure) : null;
      if (field) show({ [field]: errorText(failure, m.supportConsole.notValid) });
      else
        setError(
          failure instanceof ApiError && refusals()[failure.code]
            ? refusals()[failure.code]!
            : errorText(failure, m.supportConsole.resetFailed),
        );
    } finally {
      setBusy(false);
    }
  };

  return (
    // After the form, not in it: a submit inside the step-up dialog must not reach this form.
    <FormDialog title={title} onClose={onCancel} wide formRef={form} onSubmit={(event) => void submit(event)} after={stepUpDialog}>
      <div className="dialog-description">
        <p className="muted">{m.supportConsole.adminOf(user.email, instanceName)}</p>
        <ResetEffects name={user.name} />
        <p>{m.supportConsole.othersEmailed(instanceName)}</p>
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <fieldset>
        <legend>{m.supportConsole.howVerified}</legend>
        <SelectField
          id={FIELD_IDS.method}
          label={m.supportConsole.method}
          required
          error={errors.method}
          value={method}
          onChange={(event) => setMethod(event.target.value as VerificationMethod | '')}
        >
          <option value="">{m.supportConsole.choose}</option>
          {OFFERED_VERIFICATION_METHODS.map((value) => (
            <option key={value} value={value}>
              {verificationMethodText(value)}
            </option>
          ))}
        </SelectField>
        <TextField
          id={FIELD_IDS.reference}
          label={m.supportConsole.reference}
          hint={m.supportConsole.referenceHint}
          autoComplete="off"
          spellCheck={false}
          maxLength={200}
          required
          error={errors.reference}
          value={reference}
          onChange={(event) => setReference(event.target.value)}
        />
        <TextAreaField
          id={FIELD_IDS.notes}
          label={method === 'other' ? m.supportConsole.notes : m.supportConsole.notesOptional}
          hint={method === 'other' ? m.supportConsole.notesRequiredHint : m.supportConsole.notesHint}
          rows={3}
          maxLength={2000}
          required={method === 'other'}
          error={errors.notes}
          value={notes}
          onChange={(event) => setNotes(event.target.value)}
        />
      </fieldset>
      <DialogButtons submitLabel={m.supportConsole.reset} destructive busy={busy} onCancel={onCancel} />
    </FormDialog>
  );
}
