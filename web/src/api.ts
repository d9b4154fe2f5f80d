/**
 * The only place that talks to the server: JSON over /api/v1, the session cookie sent by the
 * browser. Every failure becomes an ApiError carrying the server's stable `code`; the UI branches
 * on the code and shows the message.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type LoginStep =
  | { next: 'done' }
  | { next: 'verify'; methods: string[] }
  | { next: 'setup'; canPostpone: boolean }
  | { next: 'change_password' };

export type Role = 'admin' | 'member';
export type TwoFactorStatus = 'active' | 'pending' | 'off';

export interface Me {
  id: string;
  email: string;
  name: string;
  role: Role;
  instance: { slug: string; name: string; plan: string };
  twoFactor: { enabled: boolean; associated: boolean; status: TwoFactorStatus; enforced: boolean };
  passwordExpiresAt: string | null;
}

export interface MailboxMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  sentAt: string;
}

export interface SetupInput {
  token: string;
  instance: { slug: string; name: string; plan: string };
  admin: { email: string; name: string; password: string };
}

const BASE = '/api/v1';

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  // Why no content-type without a body: the server parses JSON only and refuses an empty JSON body.
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, init);
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) throw toApiError(response.status, payload);
  return payload as T;
}

function toApiError(status: number, payload: unknown): ApiError {
  const error = (payload as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : 'http_error';
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${status}.`;
  const field = typeof error?.field === 'string' ? error.field : undefined;
  return new ApiError(status, code, message, field);
}

export const api = {
  me: () => request<Me>('GET', '/me'),
  login: (input: { instance: string; email: string; password: string }) => request<LoginStep>('POST', '/auth/login', input),
  logout: () => request<void>('POST', '/auth/logout'),
  setupStatus: () => request<{ open: boolean }>('GET', '/setup'),
  setup: (input: SetupInput) => request<LoginStep>('POST', '/setup', input),
  mailbox: () => request<{ messages: MailboxMessage[] }>('GET', '/dev/mailbox'),
};
