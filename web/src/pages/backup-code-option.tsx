/**
 * My Profile → General Options → backup code (SPEC rule 6, §5): "Send me a new backup code" when
 * the emailed one is lost or was seen by someone else. The code itself is never shown here: it
 * only travels by email. Sensitive (rule 12), so a session that skipped the code steps up first.
 */
import { useId, useState } from 'react';
import { api, type Me } from '../api.ts';
import { Alert, Notice } from '../components/field.tsx';
import { errorText } from '../errors.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';

export function BackupCodeOption({ me }: { me: Me }) {
  const headingId = useId();
  const { withStepUp, stepUpDialog } = useStepUp();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const send = async () => {
    setSent(null);
    setError(null);
    setBusy(true);
    try {
      await withStepUp(() => api.newBackupCode());
      setSent(`A new backup code is on its way to ${me.email}.`);
    } catch (failure) {
      if (!(failure instanceof StepUpCancelled)) setError(errorText(failure, 'Sending a new backup code failed. Try again.'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={headingId} className="subsection">
      <h3 id={headingId}>Backup code</h3>
      <p className="muted">
        When you set up your authenticator app, keyward emailed you a backup code for logging in without your phone. If you lost that email
        or think someone else has seen the code, ask for a new one: the current code stops working at once, and the new one arrives by
        email.
      </p>
      <button type="button" className="button button-secondary" disabled={busy} onClick={() => void send()}>
        Send me a new backup code
      </button>
      {/* After the button: the outcome appears where the person looks, and nothing moves under the pointer. */}
      {sent ? <Notice tone="success">{sent}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      {stepUpDialog}
    </section>
  );
}
