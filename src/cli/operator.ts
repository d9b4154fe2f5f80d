import type { Command } from 'commander';
import { execute } from './context.ts';
import { printJson, readPassword } from './io.ts';
import { cliOperator } from './cli-operator.ts';

export function registerOperatorCommands(program: Command): void {
  const operator = program.command('operator').description("manage the vendor's support operators");
  operator
    .command('create')
    .description('create a support operator (password from stdin); 2FA is set up at their first login')
    .argument('<email>', "the operator's email")
    .option('--name <name>', "the operator's name")
    .action(async (email: string, options: { name?: string }) => {
      const password = await readPassword(`Password for ${email}: `);
      const created = await execute({ op: 'operator.create', input: { email, password, ...(options.name ? { name: options.name } : {}) } });
      printJson(created);
    });
  operator
    .command('reset-2fa')
    .description("remove an operator's authenticator app and end their sessions; they set up a new one at their next login")
    .argument('<email>', "the operator's email")
    .action(async (email: string) => {
      printJson(await execute({ op: 'operator.reset-two-factor', input: { email, operator: cliOperator() } }));
    });
  operator
    .command('list')
    .description('list the support operators (email, name, 2FA, status) as JSON')
    .action(async () => {
      printJson(await execute({ op: 'operator.list', input: {} }));
    });
  operator
    .command('disable')
    .description('disable a support operator: their sessions end and their password no longer logs in (audited)')
    .argument('<email>', "the operator's email")
    .action(async (email: string) => {
      printJson(await execute({ op: 'operator.disable', input: { email, operator: cliOperator() } }));
    });
}
