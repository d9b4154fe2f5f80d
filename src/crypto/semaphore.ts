/** A counting semaphore: at most `limit` tasks run at once, the rest wait in FIFO order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  get pending(): number {
    return this.waiting.length;
  }

  /** Tasks running now (at most the limit). */
  get running(): number {
    return this.active;
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}

/**
 * Places in a bounded queue: at most `capacity` held at once, and at most `perClient` by one
 * client. A place is taken before the work is queued and given back when it is done, so a full
 * queue refuses at once instead of growing (and a refusal costs nothing).
 */
export class Admission {
  private held = 0;
  private readonly byClient = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly perClient: number,
  ) {}

  /** 'ok' (a place is now held), 'client' (this client's share is used up) or 'full'. */
  take(client: string | null): 'ok' | 'client' | 'full' {
    const mine = client === null ? 0 : (this.byClient.get(client) ?? 0);
    if (client !== null && mine >= this.perClient) return 'client';
    if (this.held >= this.capacity) return 'full';
    this.held += 1;
    if (client !== null) this.byClient.set(client, mine + 1);
    return 'ok';
  }

  give(client: string | null): void {
    this.held -= 1;
    if (client === null) return;
    const mine = (this.byClient.get(client) ?? 1) - 1;
    if (mine > 0) this.byClient.set(client, mine);
    else this.byClient.delete(client);
  }
}
