/**
 * The control socket: while a server holds the embedded database, the CLI hands its operation to
 * that server over a Unix socket in the data dir instead of opening PGlite a second time (which
 * would corrupt it). Why this is safe: the data dir is 0700, so only the OS user who could read
 * the database files anyway can connect; nothing listens on the network.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Deps } from '../domain/shared/deps.ts';
import { DomainError, type ErrorCode } from '../domain/shared/errors.ts';
import { runOperation, type Operation, type OutputSink } from './operations.ts';
import { writeBackup, type BackupOperation } from './backup-file.ts';
import type { DatabaseHandle } from '../storage/connect.ts';

type Request = Operation | BackupOperation;

type Reply =
  | { type: 'progress'; done: number }
  | { type: 'output'; text: string }
  | { type: 'result'; result: unknown }
  | { type: 'error'; code: ErrorCode | null; message: string; field?: string };

export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, 'keyward.sock');
}

/**
 * `database`: the embedded database the server holds, for `keyward backup` (the file is written by
 * this process, as the data dir's owner, at the absolute path the CLI resolved).
 */
export async function startControlSocket(dataDir: string, deps: Deps, database: DatabaseHandle, log: Logger): Promise<() => Promise<void>> {
  const socketPath = controlSocketPath(dataDir);
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      const send = (reply: Reply) => socket.write(`${JSON.stringify(reply)}\n`);
      let operation: Request;
      try {
        operation = JSON.parse(buffer.slice(0, end)) as Request;
      } catch {
        send({ type: 'error', code: 'invalid_request', message: 'Unreadable request.' });
        socket.end();
        return;
      }
      log.info({ op: operation.op }, 'cli operation via control socket');
      // A streaming operation's text (the audit export) goes back a chunk at a time; the next is
      // produced when the socket drained, so a slow reader holds the server to one page.
      const output: OutputSink = (text) =>
        new Promise((resolve, reject) => {
          if (socket.destroyed) return reject(new Error('The CLI closed the control socket.'));
          if (send({ type: 'output', text })) resolve();
          else socket.once('drain', () => resolve());
        });
      (operation.op === 'database.backup'
        ? writeBackup(database, operation.input.output)
        : runOperation(deps, operation, (done) => send({ type: 'progress', done }), output)
      )
        .then((result) => send({ type: 'result', result }))
        .catch((error) => {
          if (error instanceof DomainError)
            send({
              type: 'error',
              code: error.code,
              message: error.message,
              ...(error.details.field ? { field: error.details.field } : {}),
            });
          else {
            log.error({ err: error, op: operation.op }, 'cli operation failed');
            send({ type: 'error', code: null, message: 'The server could not run this operation; see its log.' });
          }
        })
        .finally(() => socket.end());
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      fs.rmSync(socketPath, { force: true });
    });
}

/** Sends one operation to the running server; resolves with its result or rejects like a local run. */
export function sendToServer(
  dataDir: string,
  operation: Request,
  onProgress: (done: number) => void,
  output?: OutputSink,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(controlSocketPath(dataDir));
    let buffer = '';
    let settled = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(operation)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const reply = JSON.parse(buffer.slice(0, end)) as Reply;
        buffer = buffer.slice(end + 1);
        if (reply.type === 'progress') onProgress(reply.done);
        else if (reply.type === 'output') {
          // Read no more from the server until the text is written (its drain waits for ours).
          socket.pause();
          const take = output ?? (() => Promise.reject(new Error('The server sent output, and this command takes none.')));
          take(reply.text).then(
            () => socket.resume(),
            (error: Error) => {
              settled = true;
              socket.destroy();
              reject(error);
            },
          );
        } else if (reply.type === 'result') {
          settled = true;
          resolve(reply.result);
        } else {
          settled = true;
          reject(
            reply.code ? new DomainError(reply.code, reply.message, reply.field ? { field: reply.field } : {}) : new Error(reply.message),
          );
        }
      }
    });
    socket.on('error', (error) => {
      if (!settled) reject(error);
    });
    socket.on('close', () => {
      if (!settled) reject(new Error('The server closed the control socket without an answer.'));
    });
  });
}
