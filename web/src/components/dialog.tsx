/**
 * A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert,
 * keeps focus inside and closes on Escape. Focus starts on the first field and returns to the
 * control that opened it.
 */
import { useId, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { errorText } from '../errors.ts';
import { Alert, CodeField, normalizeCode } from './field.tsx';

export function Dialog({ title, onClose, children }: { title: string; onClose(): void; children(titleId: string): ReactNode }) {
  const titleId = useId();
  const dialog = useRef<HTMLDialogElement>(null);

  useLayoutEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    element.showModal();
    element.querySelector<HTMLElement>('input, button')?.focus();
    return () => {
      element.close();
      opener?.focus();
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      onCancel={(event) => {
        // Escape: React decides when the dialog goes, so the element never closes behind its back.
        event.preventDefault();
        onClose();
      }}
    >
      {children(titleId)}
    </dialog>
  );
}

interface CodeDialogProps {
  title: string;
  description: ReactNode;
  submitLabel: string;
  /** Styles the submit button as destructive (turning a protection off). */
  destructive?: boolean;
  /** Sends the code; a rejection is shown in the dialog, which stays open. */
  onSubmit(code: string): Promise<void>;
  /** Called after onSubmit succeeded. */
  onDone(): void;
  onCancel(): void;
}

/** Asks for a current code from the authenticator app (turning 2FA off, step-up). */
export function CodeDialog({ title, description, submitLabel, destructive = false, onSubmit, onDone, onCancel }: CodeDialogProps) {
  const [code, setCode] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const normalized = normalizeCode(code);
    setError(null);
    setFieldError(normalized ? undefined : 'Enter the 6 digits your authenticator app shows.');
    if (!normalized) return input.current?.focus();
    setBusy(true);
    try {
      await onSubmit(normalized);
      onDone();
    } catch (failure) {
      setError(errorText(failure, 'That did not work. Try again.'));
      setCode('');
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={title} onClose={onCancel}>
      {(titleId) => (
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          <div className="dialog-description">{description}</div>
          {error ? <Alert>{error}</Alert> : null}
          <CodeField id={`${titleId}-code`} ref={input} value={code} onChange={setCode} error={fieldError} />
          <div className="button-row">
            <button type="submit" className={destructive ? 'button button-danger' : 'button button-primary'} disabled={busy}>
              {submitLabel}
            </button>
            <button type="button" className="button button-secondary" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
