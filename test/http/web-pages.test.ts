import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { givenInstance, type TestDeps } from '../support/deps.ts';
import { errorCode, useTestApp } from '../support/app.ts';

const WEB_DIR = path.resolve('web/dist');
const AS_BROWSER = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

// The single-page UI answers index.html for its own pages with 200 and for any other address
// with 404 (issue 13): the app then shows "Page not found", and a link checker, a crawler or a
// proxy's error page sees what a person sees. The paths are web/src/app.tsx's pages.
describe('the web UI’s pages and unknown addresses', () => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ deps, app } = t), { webDir: WEB_DIR });

  const open = (url: string) => app.inject({ method: 'GET', url, headers: AS_BROWSER });

  it('answers every page of the app with index.html and 200, with or without a trailing slash', async () => {
    const { instance } = await givenInstance(deps);
    const pages = ['/', '/login', '/setup', '/invite', '/reset', '/forgot', '/profile', '/profile/password', '/profile/two-factor'];
    for (const page of [...pages, '/settings', '/support', '/dev/mailbox', `/i/${instance.slug}/login`]) {
      for (const url of [page, `${page}/`.replace('//', '/'), `${page}?step=verify`]) {
        const answer = await open(url);
        expect(answer.statusCode, url).toBe(200);
        expect(answer.headers['content-type'], url).toContain('text/html');
        expect(answer.body, url).toContain('<div id="root">');
      }
    }
  });

  // (Below /i/{slug}/ other than its login page, the instance's OpenID provider answers.)
  it('answers unknown addresses below the app’s pages with the page and 404', async () => {
    for (const url of [
      '/login/verify',
      '/login/no/such/step',
      '/profile/nothing',
      '/settings/users',
      '/settings/nothing-here/at-all',
      '/support/instances',
      '/i/no-such-instance/login',
      '/nothing-here',
    ]) {
      const answer = await open(url);
      expect(answer.statusCode, url).toBe(404);
      expect(answer.headers['content-type'], url).toContain('text/html');
      expect(answer.body, url).toContain('<div id="root">');
    }
  });

  it('keeps unknown API paths JSON, also when a browser asks', async () => {
    const answer = await open('/api/v1/no/such/thing');
    expect(answer.statusCode).toBe(404);
    expect(errorCode(answer)).toBe('not_found');
  });
});
