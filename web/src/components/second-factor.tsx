/**
 * The second factor as a person gives it (SPEC rule 6, §5): the code from the authenticator app,
 * or, after "I don't have my device" and its checkbox, the backup code that was emailed. Used by
 * the verification page and by the dialogs that ask for a fresh factor (step-up, turning 2FA off).
 */
import { WhoHelps } from './support-contact.tsx';
import { useId, useState, type Ref } from 'react';
import type { SecondFactor } from '../api.ts';
import { CheckboxField, CodeField, readCode, TextField } from './field.tsx';

export const BACKUP_CODE_HINT = '16 letters and digits, like 7KQ4-M9XD-2HTR-PW6C. Upper or lower case, with or without the dashes.';

/** What was typed, as the server takes it: null (with the sentence to show) when it cannot be sent. */
export function readSecondFactor(value: string, useBackupCode: boolean): { factor: SecondFactor } | { problem: string } {
  if (useBackupCode) return value.trim() ? { factor: { backupCode: value.trim() } } : { problem: 'Enter the backup code from the email.' };
  const read = readCode(value);
  return 'factor' in read ? { factor: { code: read.factor } } : read;
}

/** The code field, or the backup-code field once the person switched to it. */
export function SecondFactorField(props: {
  id: string;
  useBackupCode: boolean;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  autoFocus?: boolean;
  ref?: Ref<HTMLInputElement>;
}) {
  const { id, useBackupCode, value, onChange, error, autoFocus, ref } = props;
  if (!useBackupCode)
    return <CodeField id={`${id}-code`} ref={ref} value={value} onChange={onChange} error={error} autoFocus={autoFocus} />;
  return (
    <TextField
      id={`${id}-backup-code`}
      ref={ref}
      label="Backup code"
      name="backupCode"
      autoComplete="off"
      autoCapitalize="none"
      spellCheck={false}
      required
      hint={BACKUP_CODE_HINT}
      error={error}
      value={value}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

/** "I don't have my device": what to do without the phone, and the checkbox that switches to the backup code. */
export function NoDeviceDisclosure({
  id,
  useBackupCode,
  onSwitch,
}: {
  id: string;
  useBackupCode: boolean;
  onSwitch: (backup: boolean) => void;
}) {
  const panelId = useId();
  const [open, setOpen] = useState(useBackupCode);
  return (
    <div className="disclosure">
      <button type="button" className="link-button" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
        I don't have my device
      </button>
      {open ? (
        <div id={panelId} className="disclosure-panel">
          <p>
            When you set up two-factor authentication, keyward emailed you a backup code. You can use it once instead of a code from the
            app; a new one is emailed after you use it.
          </p>
          <p>
            If you have neither: members ask <WhoHelps role="member" /> to reset two-factor authentication for their account. Administrators
            contact <WhoHelps role="admin" />, since nobody in their instance can reset them.
          </p>
          <CheckboxField
            id={`${id}-use-backup-code`}
            label="Use a backup code instead"
            checked={useBackupCode}
            onChange={(event) => onSwitch(event.target.checked)}
          />
        </div>
      ) : null}
    </div>
  );
}
