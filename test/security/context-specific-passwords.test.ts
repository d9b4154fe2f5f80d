import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { deliveredTo, givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { checkPasswordForAccount, contextWords, isMostlyContext } from '../../src/domain/account/password-rules.ts';
import { createUser } from '../../src/domain/account/create-user.ts';
import { importUsers } from '../../src/domain/account/import-users.ts';
import { DomainError } from '../../src/domain/shared/errors.ts';

// Issue 13 and NIST SP 800-63B-4 §3.1.1.2: a password mostly made of context-specific words (the
// user's name or email, the instance's name or slug, the service's name) is refused, everywhere a
// password is set, with the fixed code weak_password and the reason context_words.
const CONTEXT = ['alice@globex.test', 'Alice Liddell', 'globex', 'Globex Corporation'];
const none = { contains: () => false };
const check = (password: string) => checkPasswordForAccount(password, { minLength: 12, blocklist: none, context: CONTEXT });
const reasonOf = (run: () => unknown) => {
  try {
    run();
    return null;
  } catch (error) {
    return error instanceof DomainError ? `${error.code}:${error.details.reason}` : 'other';
  }
};

describe('context-specific words in a new password', () => {
  it.each([
    'alice@globex.test',
    'Alice Liddell 2026',
    'GlobexGlobex2026!',
    'globex-corporation',
    'liddell.alice.1865',
    'keyward-globex-2026',
    'AliceAlice12345',
    'ALICE GLOBEX TEST!',
  ])('refuses %s', (password) => {
    expect(reasonOf(() => check(password))).toBe('weak_password:context_words');
  });

  it.each(['correct horse battery staple', 'alice in a wonderland of hedgehogs', 'my globex badge opens the red door'])(
    'accepts the passphrase %s, which only mentions a context word among others',
    (password) => {
      expect(check(password)).toBe(password);
    },
  );

  it('refuses any context word padded to length with digits and separators', () => {
    const words = contextWords(CONTEXT);
    fc.assert(
      fc.property(
        fc.constantFrom(...words),
        fc.stringMatching(/^[0-9!._ -]{0,8}$/),
        fc.boolean(),
        fc.constantFrom('lower', 'upper', 'title'),
        (word, filler, fillerFirst, casing) => {
          const cased = casing === 'upper' ? word.toUpperCase() : casing === 'title' ? word[0]!.toUpperCase() + word.slice(1) : word;
          let password = fillerFirst ? filler + cased : cased + filler;
          while ([...password].length < 12) password += cased;
          expect(reasonOf(() => check(password))).toBe('weak_password:context_words');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never refuses a password of words with none of the context in it', () => {
    const words = ['maple', 'rocket', 'quartz', 'violin', 'tundra', 'pepper', 'harbor', 'zenith'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { minLength: 3, maxLength: 6 }), (chosen) => {
        expect(isMostlyContext(chosen.join(' '), contextWords(CONTEXT))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('context-specific words wherever a password is set', () => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ deps, app } = t));

  it('refuses them at a password change, for a new user and in an import line', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const change = await client.post('/api/v1/auth/password', {
      currentPassword: PASSWORD,
      newPassword: `${instance.slug}-${instance.slug}`,
    });
    expect(errorCode(change)).toBe('weak_password');
    expect(change.json().error).toMatchObject({ field: 'newPassword', reason: 'context_words' });
    const byEmail = await client.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: `${admin.email}!2026` });
    expect(byEmail.json().error.reason).toBe('context_words');

    const created = await createUser(deps, {
      instanceSlug: instance.slug,
      email: 'bruno.hoffmann@example.test',
      name: 'Bruno Hoffmann',
      role: 'member',
      password: 'Bruno Hoffmann 1984',
    }).catch((error: unknown) => error);
    expect(created).toBeInstanceOf(DomainError);
    expect((created as DomainError).details.reason).toBe('context_words');

    const report = await importUsers(deps, instance.slug, [
      { line: 2, email: 'carla.rossi@example.test', name: 'Carla Rossi', role: 'member', password: 'carla.rossi@example.test' },
      { line: 3, email: 'dino@example.test', name: 'Dino', role: 'member', password: 'a quiet walk by the river' },
    ]);
    expect(report.created).toBe(1);
    expect(report.errors).toEqual([expect.objectContaining({ line: 2, field: 'password' })]);
  });

  it('refuses them at an invitation link, and the link still works for a good password', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const email = `nina.novak@${instance.slug}.test`;
    expect((await client.post('/api/v1/admin/users', { email, name: 'Nina Novak', role: 'member' })).statusCode).toBe(201);
    const [mail] = await deliveredTo(deps, email);
    const token = new RegExp(`/invite\\?instance=[a-z0-9-]+#token=([A-Za-z0-9_-]+)`).exec(mail!.text)![1]!;
    const personal = await new Client(app).post('/api/v1/auth/invitation', { token, password: 'Nina Novak 2026!!' });
    expect(errorCode(personal)).toBe('weak_password');
    expect(personal.json().error).toMatchObject({ field: 'password', reason: 'context_words' });
    expect((await new Client(app).post('/api/v1/auth/invitation', { token, password: 'a quiet walk by the river' })).statusCode).toBe(204);
  });
});
