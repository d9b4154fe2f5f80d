import fs from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { openRuntime } from '../runtime.ts';
import { DataDirLockedError } from '../storage/connect.ts';
import { controlSocketPath, sendToServer } from './control-socket.ts';
import { runOperation, type Operation, type OutputSink } from './operations.ts';

/**
 * Mails a command delivers itself before it exits, at most. Why a bound: a command's own mail is
 * a few (a reset link, an invitation), but an import queues one per user, and the CLI sent them
 * one at a time before it exited, with no progress shown: minutes for 100,000 invitations, after
 * the import's progress bar had reached its end. The rest stays in the outbox, where every
 * running server's worker sends it (docs/operations.md, "Mail").
 */
export const CLI_MAIL_LIMIT = 100;
export const MORE_MAIL_NOTICE = 'More mail is queued than a command sends itself: a running keyward server delivers the rest.';

/**
 * Runs one operation against the configured database (DATABASE_URL, or the embedded database in
 * KEYWARD_DATA_DIR), then delivers the mail it queued. When a running server holds the embedded
 * database, the operation is handed to that server instead.
 */
export async function execute(operation: Operation, onProgress: (done: number) => void = () => {}, output?: OutputSink): Promise<unknown> {
  const config = loadConfig();
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  let runtime;
  try {
    runtime = await openRuntime(config, log);
  } catch (error) {
    if (error instanceof DataDirLockedError && fs.existsSync(controlSocketPath(config.dataDir))) {
      return sendToServer(config.dataDir, operation, onProgress, output);
    }
    throw error;
  }
  try {
    const result = await runOperation(runtime.deps, operation, onProgress, output);
    // Mail that cannot be sent now stays in the outbox; a running server delivers it later.
    // Without SMTP_URL (or the dev mailbox) the CLI does not try: a try would only count a failed
    // attempt on every waiting mail and put off the servers' delivery by its back-off.
    if (runtime.mailDeliverable) {
      const { more } = await runtime.mail.sendSome(CLI_MAIL_LIMIT);
      if (more) process.stderr.write(`${MORE_MAIL_NOTICE}\n`);
    }
    return result;
  } finally {
    await runtime.close();
  }
}
