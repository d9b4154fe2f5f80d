/**
 * Apache httpd with mod_auth_openidc (Debian packages apache2 and libapache2-mod-auth-openidc): a
 * relying party nobody here wrote, as a foreground process with its own ServerRoot and
 * configuration in a temp dir, listening on a loopback port.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './server-process.ts';

export const APACHE_BINARY = process.env.APACHE_BINARY ?? '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const START_TIMEOUT_MS = 15_000;

export function apacheInstalled(): boolean {
  return fs.existsSync(APACHE_BINARY) && fs.existsSync(path.join(MODULES, 'mod_auth_openidc.so'));
}

export interface ApacheRp {
  /** http://127.0.0.1:PORT */
  origin: string;
  redirectUri: string;
  /** What Apache wrote to its error log so far (mod_auth_openidc logs there). */
  errorLog(): string;
  stop(): Promise<void>;
}

export interface ApacheOptions {
  port: number;
  discoveryUrl: string;
  clientId: string;
  clientSecret: string;
  /** Served at /protected/index.html to whoever passes `Require claim acr:urn:keyward:acr:mfa`. */
  protectedContent: string;
}

/** The port Apache will listen on and its redirect URI, to register the client before it starts. */
export async function apacheAddress(): Promise<{ port: number; origin: string; redirectUri: string }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  return { port, origin, redirectUri: `${origin}/protected/redirect_uri` };
}

export async function startApache(options: ApacheOptions): Promise<ApacheRp> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-apache-'));
  const origin = `http://127.0.0.1:${options.port}`;
  const redirectUri = `${origin}/protected/redirect_uri`;
  fs.mkdirSync(path.join(root, 'htdocs', 'protected'), { recursive: true });
  fs.mkdirSync(path.join(root, 'run'));
  fs.writeFileSync(path.join(root, 'htdocs', 'protected', 'index.html'), options.protectedContent);
  // httpd refuses to serve as root: started as root it switches to www-data, which must read the files.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) for (const dir of [root, path.join(root, 'htdocs'), path.join(root, 'htdocs', 'protected')]) fs.chmodSync(dir, 0o755);
  const errorLog = path.join(root, 'error.log');
  const conf = [
    `ServerRoot "${root}"`,
    'ServerName 127.0.0.1',
    `Listen 127.0.0.1:${options.port}`,
    `PidFile "${root}/run/httpd.pid"`,
    `DefaultRuntimeDir "${root}/run"`,
    `ErrorLog "${errorLog}"`,
    'LogLevel warn auth_openidc:info',
    ...(asRoot ? ['User www-data', 'Group www-data'] : []),
    ...['mpm_prefork', 'authn_core', 'authz_core', 'authz_user', 'mime', 'dir', 'auth_openidc'].map(
      (name) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`,
    ),
    'TypesConfig /etc/mime.types',
    `DocumentRoot "${root}/htdocs"`,
    'DirectoryIndex index.html',
    // The relying party: discovery of the instance, a confidential client, PKCE S256, and every
    // authorization request asking for a code (acr_values, OIDC Core §3.1.2.1).
    `OIDCProviderMetadataURL ${options.discoveryUrl}`,
    `OIDCClientID ${options.clientId}`,
    `OIDCClientSecret ${options.clientSecret}`,
    `OIDCRedirectURI ${redirectUri}`,
    `OIDCCryptoPassphrase ${randomBytes(32).toString('hex')}`,
    'OIDCProviderTokenEndpointAuth client_secret_basic',
    'OIDCPKCEMethod S256',
    'OIDCScope "openid email profile"',
    'OIDCAuthRequestParams acr_values=urn:keyward:acr:mfa',
    'OIDCCacheType shm',
    // The page is served only when the ID token says a second factor was verified.
    '<Location /protected/>',
    '  AuthType openid-connect',
    '  Require claim acr:urn:keyward:acr:mfa',
    '</Location>',
    '',
  ].join('\n');
  const confFile = path.join(root, 'httpd.conf');
  fs.writeFileSync(confFile, conf);
  const checked = spawnSync(APACHE_BINARY, ['-t', '-d', root, '-f', confFile], { encoding: 'utf8' });
  if (checked.status !== 0) throw new Error(`apache2 -t refused the configuration:\n${checked.stderr}\n${conf}`);

  // -X: one process in the foreground, no detaching: stopping the child stops Apache.
  const child = spawn(APACHE_BINARY, ['-X', '-d', root, '-f', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const readLog = () => {
    try {
      return fs.readFileSync(errorLog, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      const log = readLog();
      await stop();
      throw new Error(`apache2 exited (code ${child.exitCode}):\n${output}\n${log}`);
    }
    const up = await fetch(`${origin}/`, { redirect: 'manual', signal: AbortSignal.timeout(1_000) }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      const log = readLog();
      await stop();
      throw new Error(`apache2 did not answer within ${START_TIMEOUT_MS} ms:\n${output}\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { origin, redirectUri, errorLog: readLog, stop };
}
