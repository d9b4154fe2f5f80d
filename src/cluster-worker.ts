/** The entry of each worker process of `keyward serve --workers N` (forked by src/cluster.ts). */
import { loadConfig } from './config.ts';
import { reportStartFailure, runServer } from './server.ts';

runServer(loadConfig(), { worker: true }).catch((error: unknown) => {
  reportStartFailure(error);
  process.exit(1);
});
