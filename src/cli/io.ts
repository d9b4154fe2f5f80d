/** Terminal plumbing for the CLI: passwords from stdin, messages, exit codes. */
import { DomainError } from '../domain/shared/errors.ts';

/**
 * Reads a password: the first line of stdin when piped (`echo … | keyward …`), or a prompt with
 * echo turned off on a terminal. Why stdin and not a flag: flags end up in shell history and `ps`.
 */
export async function readPassword(prompt = 'Password: '): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (!line) throw new CliError('No password on standard input (pipe it in, e.g. `printf "%s\\n" "$PASSWORD" | keyward …`).');
    return line;
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          finish();
          return resolve(value);
        }
        if (char === '\u0003') {
          finish();
          return reject(new CliError('Cancelled.'));
        }
        value = char === '\u007f' ? value.slice(0, -1) : value + char;
      }
    };
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

export class CliError extends Error {}

/** A clear one-line message for expected failures; the stack only for real bugs. */
export function describeFailure(error: unknown): string {
  if (error instanceof DomainError) {
    return `${error.details.field ? `${error.details.field}: ` : ''}${error.message} (${error.code})`;
  }
  if (
    error instanceof CliError ||
    (error as Error)?.name === 'DataDirLockedError' ||
    (error as Error)?.name === 'DataDirNotEmptyError' ||
    (error as Error)?.name === 'ConfigError' ||
    (error as Error)?.name === 'KeyMismatchError'
  ) {
    return (error as Error).message;
  }
  return (error as Error)?.stack ?? String(error);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
