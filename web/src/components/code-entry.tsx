/**
 * Entering a code: the verification step of a login (instance and support console), the last step
 * of setting up an authenticator app, and the dialogs that ask for a fresh factor. One hook keeps
 * what was typed, checks it before sending, and shows a refusal with the field emptied and focused.
 */
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { errorText } from '../errors.ts';
import { Alert } from './field.tsx';
import { FooterButton, Page } from './page.tsx';
import { useMessages } from '../i18n/index.ts';

/** A refusal as shown above the field; `failure` for callers that offer a way out (start again). */
export interface Refusal {
  text: string;
  failure: unknown;
}

interface CodeEntryOptions<F> {
  /** What was typed, as it is sent; or the sentence to show under the field. */
  read: (value: string) => { factor: F } | { problem: string };
  send: (factor: F) => Promise<void>;
  /** Shown when a refusal carries no message of its own. */
  fallback: string;
  /** A failure handled elsewhere (the login expired): true when there is nothing more to show. */
  handled?: (failure: unknown) => boolean | Promise<boolean>;
}

export function useCodeEntry<F>({ read, send, fallback, handled }: CodeEntryOptions<F>) {
  const [value, setValue] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const typed = read(value);
    setError(null);
    setFieldError('problem' in typed ? typed.problem : undefined);
    if ('problem' in typed) return input.current?.focus();
    setBusy(true);
    try {
      await send(typed.factor);
    } catch (failure) {
      if (handled && (await handled(failure))) return;
      setError({ text: errorText(failure, fallback), failure });
      setValue('');
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  /** Another kind of code (the backup code instead): nothing typed or said before applies. */
  const clear = () => {
    setValue('');
    setFieldError(undefined);
    setError(null);
  };

  return { value, setValue, fieldError, error, busy, input, submit, clear };
}

/**
 * A login's "Two-factor authentication" page: the form with its intro, the field (`field`), the
 * Verify button, anything after it (`after`), and the way back to the login form.
 */
export function VerifyCodePage({
  intro,
  error,
  busy,
  onSubmit,
  field,
  after,
  onLeave,
}: {
  intro: ReactNode;
  error: Refusal | null;
  busy: boolean;
  onSubmit: (event: FormEvent) => Promise<unknown>;
  field: ReactNode;
  after?: ReactNode;
  onLeave: () => Promise<void>;
}) {
  const m = useMessages();
  return (
    <Page title={m.codeEntry.title} narrow>
      <form className="card form" onSubmit={(event) => void onSubmit(event)} noValidate>
        <p className="form-intro">{intro}</p>
        {error ? <Alert>{error.text}</Alert> : null}
        {field}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {m.codeEntry.verify}
        </button>
        {after}
      </form>
      <FooterButton onClick={() => void onLeave()}>{m.codeEntry.leave}</FooterButton>
    </Page>
  );
}
