/**
 * A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert,
 * keeps focus inside and closes on Escape. Focus starts on the first field and returns to the
 * control that opened it.
 */
import { useId, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode, type Ref } from 'react';
import type { SecondFactor } from '../api.ts';
import { useCodeEntry } from './code-entry.tsx';
import { Alert } from './field.tsx';
import { NoDeviceDisclosure, readSecondFactor, SecondFactorField } from './second-factor.tsx';
import { useMessages } from '../i18n/index.ts';

export function Dialog({
  title: _title,
  onClose,
  wide = false,
  children,
}: {
  title: string;
  onClose: () => void;
  wide?: boolean;
  children: (titleId: string) => ReactNode;
}) {
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

/**
 * A dialog that is one form: the title as its heading, then the fields and buttons (`children`,
 * given the title's id where fields take it as theirs). `after` stands inside the dialog but
 * outside the form (a step-up dialog, whose submit must not reach this form).
 */
export function FormDialog({
  title,
  onClose,
  wide = false,
  onSubmit,
  formRef,
  after,
  children,
}: {
  title: string;
  onClose: () => void;
  wide?: boolean;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  formRef?: Ref<HTMLFormElement>;
  after?: ReactNode;
  children: ReactNode | ((titleId: string) => ReactNode);
}) {
  return (
    <Dialog title={title} onClose={onClose} wide={wide}>
      {(titleId) => (
        <>
          <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
            <h2 id={titleId} className="dialog-title">
              {title}
            </h2>
            {typeof children === 'function' ? children(titleId) : children}
          </form>
          {after}
        </>
      )}
    </Dialog>
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
  onSubmit: (factor: SecondFactor) => Promise<void>;
  /** Called after onSubmit succeeded. */
  onDone: () => void;
  onCancel: () => void;
}

/**
 * Asks for a current code from the authenticator app (turning 2FA off, step-up), or, after
 * "I don't have my device", the emailed backup code, as the verification page does.
 */
export function CodeDialog({
  title,
  description,
  submitLabel,
  destructive = false,
  allowBackupCode = true,
  onSubmit,
  onDone,
  onCancel,
}: CodeDialogProps) {
  const m = useMessages();
  const [useBackupCode, setUseBackupCode] = useState(false);
  const entry = useCodeEntry({
    read: (value) => readSecondFactor(value, useBackupCode),
    send: async (factor) => {
      await onSubmit(factor);
      onDone();
    },
    fallback: m.codeEntry.failed,
  });

  const switchMethod = (backup: boolean) => {
    setUseBackupCode(backup);
    entry.clear();
  };

  return (
    <FormDialog title={title} onClose={onCancel} onSubmit={(event) => void entry.submit(event)}>
      {(titleId) => (
        <>
          <div className="dialog-description">{description}</div>
          {entry.error ? <Alert>{entry.error.text}</Alert> : null}
          <SecondFactorField
            id={titleId}
            ref={entry.input}
            useBackupCode={useBackupCode}
            value={entry.value}
            onChange={entry.setValue}
            error={entry.fieldError}
          />
          <DialogButtons submitLabel={submitLabel} destructive={destructive} busy={entry.busy} onCancel={onCancel} />
          {allowBackupCode ? <NoDeviceDisclosure id={titleId} useBackupCode={useBackupCode} onSwitch={switchMethod} /> : null}
        </>
      )}
    </FormDialog>
  );
}

/** A dialog's submit button (red where it turns a protection off or resets it) and its Cancel. */
export function DialogButtons({
  submitLabel,
  busy,
  onCancel,
  destructive = false,
}: {
  submitLabel: string;
  busy: boolean;
  onCancel: () => void;
  destructive?: boolean;
}) {
  const m = useMessages();
  return (
    <div className="button-row">
      <button type="submit" className={destructive ? 'button button-danger' : 'button button-primary'} disabled={busy}>
        {submitLabel}
      </button>
      <button type="button" className="button button-secondary" onClick={onCancel}>
        {m.common.cancel}
      </button>
    </div>
  );
}
