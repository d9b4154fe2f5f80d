// Lint enforces the dependency rule of STYLE.md: crypto ← domain ← storage, http.
import tseslint from 'typescript-eslint';

const restrict = (paths, groups) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: paths.map((name) => ({ name, message: 'This layer must not depend on it (STYLE.md dependency rule).' })),
      patterns: groups.map((group) => ({ group: [group], message: 'This layer must not depend on it (STYLE.md dependency rule).' })),
    },
  ],
});

const wiring = ['**/runtime*', '**/config*', '**/src/main.ts', '../main.ts', '../../main.ts', '**/mail/outbox-worker*', '**/mail/transport*'];

const infrastructure = ['fastify', '@fastify/helmet', '@fastify/cookie', '@fastify/static', 'kysely', 'pg', '@electric-sql/pglite', 'nodemailer', 'node:http', 'pino'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/dist/**', 'data/**', 'dist/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-debugger': 'error',
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
    },
  },
  { files: ['src/crypto/**/*.ts'], rules: restrict(infrastructure, ['**/domain/**', '**/storage/**', '**/http/**', '**/mail/**', '**/cli/**']) },
  { files: ['src/domain/**/*.ts'], rules: restrict(infrastructure, ['**/storage/**', '**/http/**', '**/cli/**', '../../mail/**', '**/runtime*', '**/config*']) },
  // The composition root (runtime, config) and the mail worker are wired from outside: the
  // adapters take what they need as deps and never reach for process-level wiring themselves.
  { files: ['src/storage/**/*.ts'], rules: restrict(['fastify', 'nodemailer'], ['**/http/**', '**/cli/**', ...wiring]) },
  { files: ['src/http/**/*.ts'], rules: restrict(['kysely', 'pg', '@electric-sql/pglite'], ['**/storage/**', '**/cli/**', ...wiring]) },
  // The web talks to the server over HTTP only. It may name the server's API contract, with
  // `import type` only, so that no server code reaches the bundle (docs/architecture.md).
  {
    files: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: infrastructure.map((name) => ({ name, message: 'This layer must not depend on it (STYLE.md dependency rule).' })),
          patterns: [
            { group: ['**/src/**', '!**/src/http/api/contract.ts'], message: 'The web imports nothing from the server but the types of src/http/api/contract.ts.' },
            { group: ['**/src/http/api/contract.ts'], allowTypeImports: true, message: 'Types only (`import type`): no server code in the web bundle.' },
          ],
        },
      ],
    },
  },
);
