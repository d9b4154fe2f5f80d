import type { Command } from 'commander';
import { execute } from './context.ts';
import { printJson } from './io.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

interface ClientOptions {
  name: string;
  redirectUri: string[];
  postLogoutUri: string[];
  backchannelLogoutUri?: string;
  public?: boolean;
  requireMfa?: boolean;
  grant?: string;
  scope: string[];
}

export function registerOidcCommands(program: Command): void {
  const oidc = program.command('oidc').description("an instance's OpenID Connect provider: applications and signing keys");
  const client = oidc.command('client').description('manage the applications (OpenID Connect clients) of an instance');
  client
    .command('create')
    .description('register an application; prints it as JSON with its clientSecret, shown this once')
    .argument('<slug>', 'the instance slug')
    .requiredOption('--name <name>', 'the application name')
    .option('--redirect-uri <uri>', 'a redirect URI, exactly as the application sends it (repeatable)', collect, [])
    .option('--post-logout-uri <uri>', 'a post-logout redirect URI (repeatable)', collect, [])
    .option('--backchannel-logout-uri <uri>', 'where back-channel logout tokens are sent')
    .option('--public', 'a browser or native app without a secret (PKCE only)')
    .option('--require-mfa', 'ask for urn:keyward:acr:mfa by default (a code at every sign-in)')
    .option('--grant <grant>', 'client_credentials for a machine client (the default is authorization_code with refresh_token)')
    .option(
      '--scope <scope>',
      'a machine client scope: keyward:users:read, keyward:users:write or keyward:audit:read (repeatable)',
      collect,
      [],
    )
    .action(async (slug: string, options: ClientOptions) => {
      const created = await execute({
        op: 'oidc.client.create',
        input: {
          instanceSlug: slug,
          client: {
            name: options.name,
            redirectUris: options.redirectUri,
            postLogoutRedirectUris: options.postLogoutUri,
            backchannelLogoutUri: options.backchannelLogoutUri ?? null,
            public: options.public ?? false,
            defaultAcrValues: options.requireMfa ? ['urn:keyward:acr:mfa'] : [],
            ...(options.grant ? { grantTypes: [options.grant] } : {}),
            scopes: options.scope,
          },
        },
      });
      printJson(created);
    });

  oidc
    .command('rotate-keys')
    .description('new ES256 and RS256 signing keys; the old ones stay published for a day so their tokens still verify')
    .argument('<slug>', 'the instance slug')
    .action(async (slug: string) => printJson(await execute({ op: 'oidc.rotate-keys', input: { instanceSlug: slug } })));
}
