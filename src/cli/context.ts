import pino from 'pino';
import { loadConfig } from '../config.ts';
import { openRuntime, type Runtime } from '../runtime.ts';

/**
 * Runs one CLI action against the configured database (DATABASE_URL, or the embedded database in
 * KEYWARD_DATA_DIR), then delivers the mail the action queued and closes everything.
 */
export async function withRuntime<T>(action: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const runtime = await openRuntime(config, log);
  try {
    const result = await action(runtime);
    // Mail that cannot be sent now stays in the outbox; a running server delivers it later.
    await runtime.mail.drain();
    return result;
  } finally {
    await runtime.close();
  }
}
