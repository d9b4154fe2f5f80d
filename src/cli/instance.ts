import type { Command } from 'commander';
import { execute } from './context.ts';
import { printJson, readPassword } from './io.ts';

export function registerInstanceCommands(program: Command): void {
  const instance = program.command('instance').description('manage instances (tenants)');
  instance
    .command('create')
    .description('create an instance and its first administrator (password from stdin)')
    .argument('<slug>', 'the instance slug: a-z, 0-9 and hyphens')
    .requiredOption('--name <name>', 'the instance name')
    .requiredOption('--plan <plan>', 'professional, business or enterprise')
    .requiredOption('--admin-email <email>', "the administrator's email")
    .option('--admin-name <name>', "the administrator's name")
    .action(async (slug: string, options: { name: string; plan: string; adminEmail: string; adminName?: string }) => {
      const password = await readPassword("Administrator's password: ");
      const created = await execute({
        op: 'instance.create',
        input: {
          slug,
          name: options.name,
          plan: options.plan,
          admin: { email: options.adminEmail, ...(options.adminName ? { name: options.adminName } : {}), password },
        },
      });
      printJson(created);
    });
  instance
    .command('list')
    .description('list every instance (slug, name, plan) as JSON')
    .action(async () => {
      printJson(await execute({ op: 'instance.list', input: {} }));
    });
  instance
    .command('set-plan')
    .description('move an instance to another plan; going down turns off what the new plan does not allow (audited)')
    .argument('<slug>', 'the instance slug')
    .argument('<plan>', 'professional, business or enterprise')
    .action(async (slug: string, plan: string) => {
      printJson(await execute({ op: 'instance.set-plan', input: { instanceSlug: slug, plan } }));
    });
}
