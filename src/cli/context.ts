import fs from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { openRuntime } from '../runtime.ts';
import { DataDirLockedError } from '../storage/connect.ts';
import { controlSocketPath, sendToServer } from './control-socket.ts';
import { runOperation, type Operation, type OutputSink } from './operations.ts';

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
    if (runtime.mailDeliverable) await runtime.mail.drain();
    return result;
  } finally {
    await runtime.close();
  }
}
