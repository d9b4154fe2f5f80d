/** A labelled form control with an optional hint and error, wired with aria-describedby. */
import type { ChangeEvent, InputHTMLAttributes, ReactNode, Ref, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react';
import { messages, useMessages } from '../i18n/index.ts';

interface FieldFrame {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}

function describedBy({ id, hint, error }: FieldFrame): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

function Frame({ id, label, hint, error, children }: FieldFrame & { children: ReactNode }) {
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function TextField(props: FieldFrame & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & { ref?: Ref<HTMLInputElement> }) {
  const { id, label, hint, error, ...input } = props;
  return (
    <Frame id={id} label={label} hint={hint} error={error}>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(props)} {...input} />
    </Frame>
  );
}

export function SelectField(props: FieldFrame & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> & { ref?: Ref<HTMLSelectElement> }) {
  const { id, label, hint, error, children, ...select } = props;
  return (
    <Frame id={id} label={label} hint={hint} error={error}>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(props)} {...select}>
        {children}
      </select>
    </Frame>
  );
}

export function TextAreaField(
  props: FieldFrame & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> & { ref?: Ref<HTMLTextAreaElement> },
) {
  const { id, label, hint, error, ...textarea } = props;
  return (
    <Frame id={id} label={label} hint={hint} error={error}>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(props)} {...textarea} />
    </Frame>
  );
}

/** A message that screen readers announce as soon as it appears. */
export function Alert({ children }: { children: ReactNode }) {
  return (
    <div role="alert" className="alert alert-error">
      {children}
    </div>
  );
}

/** A checkbox with its label after it (the order people expect for checkboxes). */
export function CheckboxField(props: Omit<FieldFrame, 'error'> & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'type'>) {
  const { id, label, hint, ...input } = props;
  return (
    <div className="field field-checkbox">
      <input id={id} type="checkbox" aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/**
 * The six-digit code field: numeric keyboard on phones, and the browser or password manager may
 * fill the code it received (autocomplete="one-time-code").
 */
export function CodeField(props: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  autoFocus?: boolean;
  ref?: Ref<HTMLInputElement>;
  /** Sends the form once the sixth digit is typed or six are pasted (not where a password comes with the code). */
  submitWhenComplete?: boolean;
}) {
  const { id, value, onChange, error, ref, autoFocus, submitWhenComplete = true } = props;
  const m = useMessages();
  // Why digits only, kept as typed: a code is six ASCII digits; spaces and dashes of a pasted
  // "123 456" go, and letters never enter the field (issue 13), so nothing is refused later.
  const change = (event: ChangeEvent<HTMLInputElement>) => {
    const digits = event.target.value.replace(/\D/g, '').slice(0, 6);
    onChange(digits);
    const kind = (event.nativeEvent as InputEvent).inputType;
    const completed = digits.length === 6 && value.length < 6;
    const byHand = kind === 'insertFromPaste' || (kind === 'insertText' && digits.length === value.length + 1);
    const form = event.target.form;
    // After React has rendered the new value, so the form's submit handler reads it.
    if (submitWhenComplete && completed && byHand && form) setTimeout(() => form.requestSubmit(), 0);
  };
  return (
    <TextField
      id={id}
      ref={ref}
      label={m.fields.code}
      name="code"
      className="code-input"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9]{6}"
      spellCheck={false}
      required
      hint={m.fields.codeHint}
      error={error}
      value={value}
      onChange={change}
      autoFocus={autoFocus}
    />
  );
}

/** "123 456" → "123456"; null unless exactly six digits remain. */
export function normalizeCode(value: string): string | null {
  const digits = value.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

/** A typed code as the server takes it, or the sentence to show when it is not six digits. */
export function readCode(value: string): { factor: string } | { problem: string } {
  const code = normalizeCode(value);
  return code ? { factor: code } : { problem: messages().fields.codeProblem };
}

/** A search box that filters a list as people type (no autocomplete, no spelling marks). */
export function SearchField(props: {
  id: string;
  label: string;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  ref?: Ref<HTMLInputElement>;
}) {
  const { id, label, hint, value, onChange, ref } = props;
  return (
    <TextField
      id={id}
      ref={ref}
      label={label}
      type="search"
      autoComplete="off"
      spellCheck={false}
      hint={hint}
      value={value}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

/** A message announced politely: confirmations and notices. */
export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' }) {
  return (
    <div role="status" className={`alert alert-${tone}`}>
      {children}
    </div>
  );
}
