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
import { useMessages } from '../i18n/index.ts';

export function BackupCodeOption({ me }: { me: Me }) {
  const m = useMessages();
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
      setSent(m.backupCode.sent(me.email));
    } catch (failure) {
      if (!(failure instanceof StepUpCancelled)) setError(errorText(failure, m.backupCode.failed));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={headingId} className="subsection">
      <h3 id={headingId}>{m.backupCode.heading}</h3>
      <p className="muted">{m.backupCode.text}</p>
      <button type="button" className="button button-secondary" disabled={busy} onClick={() => void send()}>
        {m.backupCode.send}
      </button>
      {/* After the button: the outcome appears where the person looks, and nothing moves under the pointer. */}
      {sent ? <Notice tone="success">{sent}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      {stepUpDialog}
    </section>
  );
}
