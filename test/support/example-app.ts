/**
 * The example application of examples/oidc-app as a child process, started as `npm run example`
 * starts it (the same Node, the same script, the same flags), on a free loopback port.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const START_TIMEOUT_MS = 20_000;

export interface ExampleApp {
  origin: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startExampleApp(options: {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  port: number;
}): Promise<ExampleApp> {
  // `--name=value`: a client id or secret is base64url and may start with '-', which parseArgs
  // would take for an option of its own.
  const args = ['examples/oidc-app/server.ts', `--issuer=${options.issuer}`, `--client-id=${options.clientId}`, `--port=${options.port}`];
  if (options.clientSecret) args.push(`--client-secret=${options.clientSecret}`);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`The example app did not start within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = () => {
      if (output.includes('Example app listening on')) done();
    };
    const onExit = (code: number | null) => done(new Error(`The example app exited (code ${code}):\n${output}`));
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (error) void stop().then(() => reject(error));
      else resolve();
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  return { origin: `http://127.0.0.1:${options.port}`, output: () => output, stop };
}
