/** What administrators see of their instance's mail: envelopes and delivery state, never bodies. */
export interface MailLogEntry {
  id: number;
  to: string;
  subject: string;
  status: 'pending' | 'sending' | 'sent' | 'dead';
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface MailLogStore {
  /** Newest first. */
  list(status: MailLogEntry['status'] | null, limit: number): Promise<MailLogEntry[]>;
  /** Puts a dead mail back in the queue; false when this instance has no such dead mail. */
  retry(id: number, now: Date): Promise<boolean>;
}
