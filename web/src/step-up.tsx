/**
 * Step-up (SPEC rule 12): a session that skipped the code (known location), or whose code is
 * older than 10 minutes, gets 403 step_up_required from sensitive routes. withStepUp(action)
 * then asks for a current code from the app in a dialog, posts it to /auth/step-up and runs the
 * action again.
 */
import { useCallback, useState, type ReactNode } from 'react';
import { api, ApiError, type SecondFactor } from './api.ts';
import { CodeDialog } from './components/dialog.tsx';
import { messages, useMessages } from './i18n/index.ts';

/** The person closed the step-up dialog: the action did not happen, and nothing needs saying. */
export class StepUpCancelled extends Error {
  constructor() {
    super(messages().app.stepUpCancelled);
    this.name = 'StepUpCancelled';
  }
}

interface Waiting {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Where the code goes: an instance session's /auth/step-up by default; the support console passes
 * its own /support/step-up. Both take a code from the app only.
 */
export interface StepUpTarget {
  stepUp: (factor: SecondFactor) => Promise<void>;
  allowBackupCode: boolean;
}

// A backup code is refused by /auth/step-up (totp_required): it logs in and nothing more (SPEC rule 4).
const INSTANCE_STEP_UP: StepUpTarget = { stepUp: (factor) => api.stepUp(factor), allowBackupCode: false };

export function useStepUp(target: StepUpTarget = INSTANCE_STEP_UP): {
  withStepUp: <T>(action: () => Promise<T>) => Promise<T>;
  stepUpDialog: ReactNode;
} {
  const m = useMessages();
  const [waiting, setWaiting] = useState<Waiting | null>(null);

  const withStepUp = useCallback(async <T,>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'step_up_required')) throw error;
      await new Promise<void>((resolve, reject) => setWaiting({ resolve, reject }));
      return action();
    }
  }, []);

  const stepUpDialog = waiting ? (
    <CodeDialog
      title={m.stepUp.title}
      description={<p>{target !== INSTANCE_STEP_UP ? m.stepUp.support : m.stepUp.instance}</p>}
      submitLabel={m.common.confirm}
      allowBackupCode={target.allowBackupCode}
      onSubmit={(factor) => target.stepUp(factor)}
      onDone={() => {
        setWaiting(null);
        waiting.resolve();
      }}
      onCancel={() => {
        setWaiting(null);
        waiting.reject(new StepUpCancelled());
      }}
    />
  ) : null;

  return { withStepUp, stepUpDialog };
}
