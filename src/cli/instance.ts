import type { Command } from 'commander';
import { createInstance } from '../domain/instance/create-instance.ts';
import { withRuntime } from './context.ts';
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
      const created = await withRuntime((runtime) =>
        createInstance(runtime.deps, {
          slug,
          name: options.name,
          plan: options.plan,
          admin: { email: options.adminEmail, ...(options.adminName ? { name: options.adminName } : {}), password },
        }),
      );
      printJson({
        id: created.instance.id,
        slug: created.instance.slug,
        name: created.instance.name,
        plan: created.instance.plan,
        admin: { id: created.admin.id, email: created.admin.email, name: created.admin.name, role: created.admin.role },
      });
    });
}
