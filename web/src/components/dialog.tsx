/**
 * A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert,
 * keeps focus inside and closes on Escape. Focus starts on the first field and returns to the
 * control that opened it.
 */
import { useId, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { SecondFactor } from '../api.ts';
import { errorText } from '../errors.ts';
import { Alert } from './field.tsx';
import { NoDeviceDisclosure, readSecondFactor, SecondFactorField } from './second-factor.tsx';

export function Dialog({ title, onClose, wide = false, children }: { title: string; onClose(): void; wide?: boolean; children(titleId: string): ReactNode }) {
  const titleId = useId();
  const dialog = useRef<HTMLDialogElement>(null);

  useLayoutEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    element.showModal();
    element.querySelector<HTMLElement>('input:not(:disabled), select:not(:disabled), button:not(:disabled)')?.focus();
    return () => {
      element.close();
      opener?.focus();
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
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
  /** False where no backup code exists (support operators): no "I don't have my device". */
  allowBackupCode?: boolean;
  /** Sends the code or backup code; a rejection is shown in the dialog, which stays open. */
  onSubmit(factor: SecondFactor): Promise<void>;
  /** Called after onSubmit succeeded. */
  onDone(): void;
  onCancel(): void;
}

/**
 * Asks for a current code from the authenticator app (turning 2FA off, step-up), or, after
 * "I don't have my device", the emailed backup code, as the verification page does.
 */
export function CodeDialog({ title, description, submitLabel, destructive = false, allowBackupCode = true, onSubmit, onDone, onCancel }: CodeDialogProps) {
  const [value, setValue] = useState('');
  const [useBackupCode, setUseBackupCode] = useState(false);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const read = readSecondFactor(value, useBackupCode);
    setError(null);
    setFieldError('problem' in read ? read.problem : undefined);
    if ('problem' in read) return input.current?.focus();
    setBusy(true);
    try {
      await onSubmit(read.factor);
      onDone();
    } catch (failure) {
      setError(errorText(failure, 'That did not work. Try again.'));
      setValue('');
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  const switchMethod = (backup: boolean) => {
    setUseBackupCode(backup);
    setValue('');
    setFieldError(undefined);
    setError(null);
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
          <SecondFactorField id={titleId} ref={input} useBackupCode={useBackupCode} value={value} onChange={setValue} error={fieldError} />
          <div className="button-row">
            <button type="submit" className={destructive ? 'button button-danger' : 'button button-primary'} disabled={busy}>
              {submitLabel}
            </button>
            <button type="button" className="button button-secondary" onClick={onCancel}>
              Cancel
            </button>
          </div>
          {allowBackupCode ? <NoDeviceDisclosure id={titleId} useBackupCode={useBackupCode} onSwitch={switchMethod} /> : null}
        </form>
      )}
    </Dialog>
  );
}
