import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type { Deps } from '../../domain/shared/deps.ts';
import type { ActiveSession } from '../../domain/session/session-store.ts';
import type { ClientInfo } from '../../domain/session/start-session.ts';
import { authenticate } from '../../domain/session/authenticate.ts';
import { DomainError } from '../../domain/shared/errors.ts';
import { mustSetUpNow } from '../../domain/policy/two-factor-rules.ts';
import type { IssuedDevice } from '../../domain/known-location/issue-known-location.ts';
import { parseIdSecretToken, TOKEN_ID, TOKEN_SECRET } from '../../crypto/token.ts';
import { sha256Hex } from '../../crypto/hash.ts';
import { OPERATOR_PROFILE } from '../../domain/auth/profile.ts';
import { isTokenOf } from '../../domain/auth/session-rules.ts';
import { clientIp, clientUserAgent } from '../client-address.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth: ActiveSession | null;
  }
}

export interface Cookies {
  session: string;
  read(request: FastifyRequest): string | undefined;
  /** `maxAgeSeconds`: what the session carried has left (sessionLifetimeSeconds, or until its end). */
  set(reply: FastifyReply, token: string, maxAgeSeconds: number): void;
  clear(reply: FastifyReply): void;
  /** Trusted-device tokens this browser holds (one cookie per known location). */
  devices(request: FastifyRequest): Array<{ id: string; secret: string }>;
  setDevice(reply: FastifyReply, device: Pick<IssuedDevice, 'id' | 'secret' | 'maxAgeSeconds'>): void;
}

const MAX_DEVICE_COOKIES = 10;

/**
 * Cookies: HttpOnly (no script reads them), SameSite=Lax, Path=/, no Domain; over https also
 * Secure with the __Host- prefix, which browsers only accept in that exact shape (SES-01, RD-02).
 * The session cookie lives as long as the session it carries (a login waiting at a step 15
 * minutes, not 12 hours: issue 10 item 21); a device cookie as long as its trust.
 */
export function cookies(publicUrl: URL): Cookies {
  const secure = publicUrl.protocol === 'https:';
  const prefix = secure ? '__Host-' : '';
  const session = `${prefix}keyward_session`;
  const devicePrefix = `${prefix}keyward_device_`;
  const options = { httpOnly: true, sameSite: 'lax' as const, path: '/', secure };
  return {
    session,
    read: (request) => request.cookies[session],
    set: (reply, token, maxAgeSeconds) => {
      reply.setCookie(session, token, { ...options, maxAge: Math.max(0, Math.floor(maxAgeSeconds)) });
    },
    clear: (reply) => {
      reply.clearCookie(session, options);
    },
    devices: (request) =>
      Object.entries(request.cookies)
        .filter(
          ([name, value]) =>
            name.startsWith(devicePrefix) && TOKEN_ID.test(name.slice(devicePrefix.length)) && TOKEN_SECRET.test(value ?? ''),
        )
        .slice(0, MAX_DEVICE_COOKIES)
        .map(([name, value]) => ({ id: name.slice(devicePrefix.length), secret: value! })),
    setDevice: (reply, device) => {
      reply.setCookie(`${devicePrefix}${device.id}`, device.secret, { ...options, maxAge: device.maxAgeSeconds });
    },
  };
}

/** The Max-Age for a session ending at `expiresAt`: whole seconds, never past its end. */
export function secondsUntil(expiresAt: Date, now: Date): number {
  return Math.floor((expiresAt.getTime() - now.getTime()) / 1000);
}

export async function registerSessions(app: FastifyInstance): Promise<void> {
  await app.register(cookie);
  app.decorateRequest('auth', null);
  app.decorateRequest('machine', null);
}

export function clientInfo(request: FastifyRequest, jar: Cookies): ClientInfo {
  const previous = parseIdSecretToken(jar.read(request));
  return {
    ip: clientIp(request),
    userAgent: clientUserAgent(request),
    previousSession: previous ? { id: previous.id, secretHash: sha256Hex(previous.secret) } : null,
    deviceTokens: jar.devices(request),
  };
}

/** Who is asking, as the audit log keeps it. */
export function requestClient(request: FastifyRequest): { ip: string | null; userAgent: string | null } {
  return { ip: clientIp(request), userAgent: clientUserAgent(request) };
}

/**
 * preHandler: only a full session (login finished) passes; anything else is 401. With `list`, the
 * same lookup also reads the user's sessions (request.auth.userSessions).
 */
export function requireFullSession(deps: Deps, jar: Cookies, list?: { sessions: number }) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = jar.read(request);
    const active = await authenticate(deps, token, undefined, list);
    if (!active || active.session.stage !== 'done') {
      // Why: a half-authenticated session can call nothing but its next login step (SPEC rule 12).
      // An operator's cookie is not ours to end: the support console asks here too (issue 10 item 22).
      if (!active && !isTokenOf(OPERATOR_PROFILE, token)) jar.clear(reply);
      // A session held at setup by an enforced policy says so, so the UI can open the setup page.
      if (active?.session.stage === 'setup' && mustSetUpNow(active.instance.policy, active.user, active.totp !== null, deps.clock.now())) {
        throw new DomainError('setup_enforced', 'Your organisation requires two-factor authentication: set it up to continue.');
      }
      throw new DomainError('unauthenticated', 'Log in first.');
    }
    request.auth = active;
  };
}
