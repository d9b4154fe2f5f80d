import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type { Deps } from '../../domain/shared/deps.ts';
import type { ActiveSession } from '../../domain/session/session-store.ts';
import { authenticate } from '../../domain/session/authenticate.ts';
import { SESSION_ABSOLUTE_SECONDS } from '../../domain/session/session.ts';
import { DomainError } from '../../domain/shared/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth: ActiveSession | null;
  }
}

export interface SessionCookie {
  name: string;
  read(request: FastifyRequest): string | undefined;
  set(reply: FastifyReply, token: string): void;
  clear(reply: FastifyReply): void;
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Lax, Path=/, no Domain; over https
 * also Secure with the __Host- prefix, which browsers only accept in that exact shape (SES-01).
 */
export function sessionCookie(publicUrl: URL): SessionCookie {
  const secure = publicUrl.protocol === 'https:';
  const name = secure ? '__Host-keyward_session' : 'keyward_session';
  const options = { httpOnly: true, sameSite: 'lax' as const, path: '/', secure };
  return {
    name,
    read: (request) => request.cookies[name],
    set: (reply, token) => reply.setCookie(name, token, { ...options, maxAge: SESSION_ABSOLUTE_SECONDS }),
    clear: (reply) => reply.clearCookie(name, options),
  };
}

export async function registerSessions(app: FastifyInstance): Promise<void> {
  await app.register(cookie);
  app.decorateRequest('auth', null);
}

export interface ClientRequestInfo {
  ip: string | null;
  userAgent: string | null;
  previousSessionId: string | null;
}

export function clientInfo(request: FastifyRequest, cookieValue: string | undefined): ClientRequestInfo {
  const previous = cookieValue?.split('.')[0];
  return { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null, previousSessionId: previous ?? null };
}

/** preHandler: only a full session (login finished) passes; anything else is 401. */
export function requireFullSession(deps: Deps, cookie: SessionCookie) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const active = await authenticate(deps, cookie.read(request));
    if (!active || active.session.stage !== 'done') {
      // Why: a half-authenticated session can call nothing but its next login step (SPEC rule 12).
      if (!active) cookie.clear(reply);
      throw new DomainError('unauthenticated', 'Log in first.');
    }
    request.auth = active;
  };
}
