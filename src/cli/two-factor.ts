import type { Command } from 'commander';
import { execute } from './context.ts';
import { printJson } from './io.ts';
import { cliOperator } from './cli-operator.ts';

export function registerTwoFactorCommands(program: Command): void {
  const twoFactor = program.command('two-factor').description("recover a user's two-factor authentication");
  twoFactor
    .command('reset')
    .description(
      "break-glass: reset a user's 2FA (app, backup code, trusted browsers, sessions) after verifying who asked; " +
        'the user and the instance administrators are emailed and the audit log records it',
    )
    .argument('<slug>', 'the instance slug')
    .argument('<email>', "the user's email")
    .requiredOption(
      '--method <method>',
      'how the identity was verified: admin_confirmation, contract_contact, phone_callback, video_call or other (with --notes)',
    )
    .requiredOption('--reference <reference>', 'a reference such as the ticket id')
    .option('--notes <notes>', 'notes on the verification (required with --method other)')
    .action(async (slug: string, email: string, options: { method: string; reference: string; notes?: string }) => {
      const verification = {
        method: options.method,
        reference: options.reference,
        ...(options.notes !== undefined ? { notes: options.notes } : {}),
      };
      const result = await execute({ op: 'two-factor.reset', input: { instance: slug, email, verification, operator: cliOperator() } });
      printJson(result);
    });
}
