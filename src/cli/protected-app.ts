import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { execute } from './context.ts';
import { printJson } from './io.ts';
import { REQUIREMENTS, type AppRule, type Requirement } from '../domain/forward-auth/protected-app.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `PREFIX=any|admin|mfa`, e.g. `/admin=mfa`; the prefix itself is checked by the domain. */
function parseRule(value: string, previous: AppRule[]): AppRule[] {
  const at = value.lastIndexOf('=');
  const require = value.slice(at + 1) as Requirement;
  if (at < 1 || !REQUIREMENTS.includes(require))
    throw new InvalidArgumentError(`write a rule as PREFIX=${REQUIREMENTS.join('|')}, e.g. /admin=mfa`);
  return [...previous, { prefix: value.slice(0, at), require }];
}

export function registerProtectedAppCommands(program: Command): void {
  const apps = program.command('protected-app').description("an instance's protected applications (forward auth behind a reverse proxy)");
  apps
    .command('create')
    .description('protect an application at its hosts; prints it as JSON')
    .argument('<slug>', 'the instance slug')
    .requiredOption('--name <name>', 'the application name')
    .option('--host <host>', 'a host the proxy serves it at, hostname[:port] (repeatable)', collect, [])
    .option('--rule <rule>', 'PREFIX=any|admin|mfa: who may open paths under PREFIX (repeatable; longest prefix wins)', parseRule, [])
    .option(
      '--cookie-domain <domain>',
      'opt-in: set the forward cookie for this parent domain of every host, one sign-in for every app with it (see docs/forward-auth.md for its risks)',
    )
    .action(async (slug: string, options: { name: string; host: string[]; rule: AppRule[]; cookieDomain?: string }) => {
      const app = { name: options.name, hosts: options.host, rules: options.rule, cookieDomain: options.cookieDomain ?? null };
      printJson(await execute({ op: 'protected-app.create', input: { instanceSlug: slug, app } }));
    });
  apps
    .command('list')
    .description("the instance's protected applications as JSON")
    .argument('<slug>', 'the instance slug')
    .action(async (slug: string) => printJson(await execute({ op: 'protected-app.list', input: { instanceSlug: slug } })));
  apps
    .command('delete')
    .description('stop protecting an application: its client, hosts and sessions go with it')
    .argument('<slug>', 'the instance slug')
    .argument('<id>', 'the application id')
    .action(async (slug: string, id: string) =>
      printJson(await execute({ op: 'protected-app.delete', input: { instanceSlug: slug, id } })),
    );
}
