/**
 * Starts keyward: one process (what `npm start` runs), or with `--workers N` / KEYWARD_WORKERS a
 * cluster of N (src/cluster.ts). A start that fails prints why and exits 1.
 */
import { loadConfig, parseWorkers, requireSharedDatabase } from './config.ts';
import { reportStartFailure, runServer } from './server.ts';
import { runPrimary } from './cluster.ts';

/** `workersFlag`: the `--workers` value as typed; it wins over KEYWARD_WORKERS. */
export async function serve(workersFlag?: string): Promise<void> {
  try {
    const config = loadConfig();
    const workers = workersFlag === undefined ? config.workers : parseWorkers('--workers', workersFlag);
    requireSharedDatabase(config, workers, workersFlag === undefined ? 'KEYWARD_WORKERS' : '--workers');
    if (workers === 1) await runServer(config);
    else await runPrimary(config, workers);
  } catch (error) {
    reportStartFailure(error);
    process.exit(1);
  }
}
