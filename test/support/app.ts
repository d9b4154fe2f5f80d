/** The HTTP app over real deps, driven with inject(); a tiny cookie jar per simulated browser. */
import { randomInt } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../src/http/app.ts';
import type { Deps } from '../../src/domain/shared/deps.ts';
import { afterAll, beforeAll } from 'vitest';
import { ORIGIN, PUBLIC_URL, useTestDeps, type TestDeps } from './deps.ts';
import type { EngineName } from './db.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createStores } from '../../src/storage/stores.ts';
import type { QueryCounter } from './query-counter.ts';

export async function testApp(deps: Deps, options: Partial<AppOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApp(deps, {
    publicUrl: new URL(PUBLIC_URL),
    trustProxy: false,
    logger: false,
    devMailbox: true,
    webDir: null,
    ...options,
  });
  await app.ready();
  return app;
}

/** A client that keeps its cookies and sends our Origin on state-changing requests. */
export class Client {
  cookies = new Map<string, string>();
  /**
   * Each simulated browser has its own address (in 10.0.0.0/8): the per-IP throttle is global,
   * and tests sharing one PostgreSQL database must not add up each other's failures.
   */
  readonly ip = `10.${randomInt(256)}.${randomInt(256)}.${1 + randomInt(254)}`;
  /** `origin`: the Origin it sends, when the app's PUBLIC_URL is another (a listening test server). */
  constructor(
    private readonly app: FastifyInstance,
    private readonly origin: string = ORIGIN,
  ) {}

  async request(options: InjectOptions & { method: string; url: string }): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined) };
    if (options.method !== 'GET' && headers.origin === undefined) headers.origin = this.origin;
    if (this.cookies.size > 0 && headers.cookie === undefined) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    const response = await this.app.inject({ remoteAddress: this.ip, ...options, headers } as InjectOptions);
    for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      const expired = cookie.maxAge === 0 || (cookie.expires && cookie.expires.getTime() <= Date.now()) || cookie.value === '';
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }

  get(url: string, headers: Record<string, string> = {}) {
    return this.request({ method: 'GET', url, headers });
  }

  post(url: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request({ method: 'POST', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
  }

  login(instance: string, email: string, password: string) {
    return this.post('/api/v1/auth/login', { instance, email, password });
  }
}

export function errorCode(response: LightMyRequestResponse): string | undefined {
  return response.json<{ error?: { code?: string } }>().error?.code;
}

export interface TestContext {
  database: DatabaseHandle;
  deps: TestDeps;
  app: FastifyInstance;
}

/**
 * Registers the usual hooks of an API test file: one database and app for the file (PGlite takes
 * seconds to start), handed to `assign` once ready; closed after the last test.
 */
export function useTestApp(
  engine: EngineName,
  assign: (context: TestContext) => void,
  options: Partial<AppOptions> = {},
  open?: (engine: EngineName) => Promise<DatabaseHandle>,
): void {
  let base: { database: DatabaseHandle; deps: TestDeps } | null = null;
  let app: FastifyInstance | null = null;
  // Hooks run in the order they are registered (and afterAll in reverse): the database first.
  useTestDeps(engine, (context) => (base = context), open);
  beforeAll(async () => {
    app = await testApp(base!.deps, options);
    assign({ ...base!, app });
  });
  afterAll(async () => {
    await app?.close();
  });
}

/**
 * useTestApp whose app counts its SQL statements on `counter` (the statement budget); `deps` keeps
 * uncounted stores for the test's own set-up and checks.
 */
export function useCountedTestApp(
  engine: EngineName,
  counter: QueryCounter,
  assign: (context: TestContext) => void,
  options: Partial<AppOptions> = {},
): void {
  let base: { database: DatabaseHandle; deps: TestDeps } | null = null;
  let app: FastifyInstance | null = null;
  useTestDeps(engine, (context) => (base = context));
  beforeAll(async () => {
    app = await testApp({ ...base!.deps, stores: createStores(base!.database.db.withPlugin(counter), base!.database.engine) }, options);
    assign({ ...base!, app });
  });
  afterAll(async () => {
    await app?.close();
  });
}
