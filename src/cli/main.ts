/** The `keyward` command line: one file per command group. */
import { Command } from 'commander';
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../storage/connect.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { databaseTarget } from '../runtime.ts';
import { describeFailure } from './io.ts';
import { registerInstanceCommands } from './instance.ts';
import { registerUserCommands } from './user.ts';
import { registerOperatorCommands } from './operator.ts';
import { registerTwoFactorCommands } from './two-factor.ts';
import { registerOidcCommands } from './oidc.ts';
import { generateKeyText } from '../crypto/secret-box.ts';
import { registerProtectedAppCommands } from './protected-app.ts';
import { registerBackupCommands } from './backup.ts';
import { registerAuditCommands } from './audit.ts';
import { execute } from './context.ts';
import { printJson } from './io.ts';

const program = new Command('keyward')
  .description('keyward: account security for multi-tenant SaaS. Uses DATABASE_URL, or the embedded database in KEYWARD_DATA_DIR (./data).')
  .showHelpAfterError();

registerInstanceCommands(program);
registerUserCommands(program);
registerOperatorCommands(program);
registerTwoFactorCommands(program);
registerOidcCommands(program);
registerProtectedAppCommands(program);
registerBackupCommands(program);
registerAuditCommands(program);

program
  .command('migrate')
  .description('bring the database schema up to date (the server also does this at start)')
  .action(async () => {
    const config = loadConfig();
    pino({ level: 'warn' });
    const database = await openDatabase(databaseTarget(config));
    try {
      const applied = await migrateToLatest(database.db);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
    } finally {
      await database.close();
    }
  });

program
  .command('serve')
  .description(
    'run the server (what `npm start` runs); --workers N forks N processes on this machine that share the port (needs DATABASE_URL)',
  )
  .option('--workers <n>', 'server processes sharing the port (default: KEYWARD_WORKERS, else 1)')
  .action(async (options: { workers?: string }) => {
    // Loaded only here: the other commands need no HTTP server.
    const { serve } = await import('../serve.ts');
    await serve(options.workers);
  });

program
  .command('generate-key')
  .description('print a new random KEYWARD_SECRET_KEY (32 bytes, base64url); every process on one database needs the same one')
  .action(() => {
    process.stdout.write(`${generateKeyText()}\n`);
  });

program
  .command('rotate-key')
  .description(
    're-seal every secret sealed with an older KEYWARD_SECRET_KEY with the first one (run after putting the new key first and restarting every process), then the key check',
  )
  .action(async () => printJson(await execute({ op: 'secret-key.rotate', input: {} })));

program.parseAsync(process.argv).catch((error) => {
  process.stderr.write(`keyward: ${describeFailure(error)}\n`);
  process.exitCode = 1;
});
