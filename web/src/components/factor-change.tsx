/**
 * The proof a factor change brings in its own request (SPEC rule 4, issue 10 item 5): the current
 * password and, when an app is set up, a current code from it. Not a backup code: it logs in, but
 * never removes or replaces the app. Used to turn 2FA off and to set up or replace an app from My
 * Profile.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api.ts';
import { errorText } from '../errors.ts';
import { Alert, CodeField, readCode, TextField } from './field.tsx';
import { WhoHelps } from './support-contact.tsx';

export interface FactorChangeProof {
  currentPassword: string;
  code?: string;
}

type Field = 'currentPassword' | 'code';

interface Props {
  id: string;
  /** An app is set up: its current code is asked for too. */
  needsCode: boolean;
  /** The buttons (submit first); they stand inside the form. */
  buttons: (busy: boolean) => ReactNode;
  /** Sends the proof with the change; a rejection is shown here and the form stays. */
  onSubmit: (proof: FactorChangeProof) => Promise<void>;
  fallback: string;
  /** What stands above the fields, inside the form (a dialog's title and description). */
  intro?: ReactNode;
}

/** The password field and, with an app, the code field, as one form with its own errors. */
export function FactorChangeForm({ id, needsCode, buttons, onSubmit, fallback, intro }: Props) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    const read = needsCode ? readCode(code) : null;
    const problems: Partial<Record<Field, string>> = {};
    if (!password) problems.currentPassword = 'Enter your current password.';
    if (read && 'problem' in read) problems.code = read.problem;
    setFieldErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      await onSubmit(read && 'factor' in read ? { currentPassword: password, code: read.factor } : { currentPassword: password });
    } catch (failure) {
      const field = failure instanceof ApiError ? failure.field : undefined;
      if (field === 'currentPassword' || field === 'code') setFieldErrors({ [field]: errorText(failure, fallback) });
      else setError(errorText(failure, fallback));
      if (field === 'code' || !field) setCode('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate>
      {intro}
      {error ? <Alert>{error}</Alert> : null}
      <TextField
        id={`${id}-password`}
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        error={fieldErrors.currentPassword}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      {needsCode ? (
        <CodeField id={`${id}-code`} value={code} onChange={setCode} error={fieldErrors.code} submitWhenComplete={false} />
      ) : null}
      {buttons(busy)}
    </form>
  );
}

/**
 * After a backup-code login: a backup code never removes or replaces the app (SPEC rule 4), so
 * instead of actions that would be refused, the way to a new phone (rules 8 and 9).
 */
export function NewPhoneHelp({ role, instanceName }: { role: 'admin' | 'member'; instanceName: string }) {
  return (
    <p>
      You signed in with a backup code. A backup code lets you in, but it cannot replace or remove your authenticator app.{' '}
      {role === 'admin' ? (
        <>
          Lost your phone? As an administrator, contact <WhoHelps role="admin" />: nobody in your instance can reset you. After checking who
          you are, they reset two-factor authentication for your account, and you set up the new phone at your next login.
        </>
      ) : (
        <>
          Lost your phone? Ask <WhoHelps role="member" instanceName={instanceName} /> to reset two-factor authentication for your account;
          you then set up the new phone at your next login.
        </>
      )}
    </p>
  );
}
