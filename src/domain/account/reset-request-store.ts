/** A "forgot password" request as queued: the same row whether or not the account exists. */
export interface ResetRequest {
  id: number;
  instanceSlug: string;
  emailKey: string;
  requestedAt: Date;
}

/** The queue of "forgot password" requests between the route and the background worker. */
export interface ResetRequestStore {
  insert(request: Omit<ResetRequest, 'id'>): Promise<void>;
  /**
   * Up to `limit` of the oldest requests, locked until the surrounding transaction ends (FOR
   * UPDATE SKIP LOCKED): several workers never take the same request, and a worker that dies
   * leaves its requests for the next one. Use inside stores.transaction.
   */
  claim(limit: number): Promise<ResetRequest[]>;
  delete(ids: number[]): Promise<void>;
}
