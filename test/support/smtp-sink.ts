/** A real SMTP server (smtp-server) on loopback that keeps what it receives; can be stopped and restarted on the same port. */
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  /** While true, messages are read but never acknowledged: the sender hangs in DATA. */
  stall = false;
  /** How many messages arrived while stalled (never acknowledged, so never delivered). */
  stalled = 0;
  /** How many SMTP connections were opened to this sink, and how many of them have closed. */
  connections = 0;
  closed = 0;
  private server: SMTPServer | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onConnect: (_session, callback) => {
        this.connections += 1;
        callback();
      },
      onClose: () => {
        this.closed += 1;
      },
      onData: (stream, session, callback) => {
        if (this.stall) {
          this.stalled += 1;
          stream.resume();
          return;
        }
        simpleParser(stream)
          .then((parsed) => {
            this.received.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
            });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.server.address() as { port: number }).port;
  }

  /** Ends every open connection from the server's side (as a relay closing idle clients does). */
  dropConnections(): void {
    for (const connection of [...(this.server?.connections ?? [])] as Array<{ close(): void }>) connection.close();
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
