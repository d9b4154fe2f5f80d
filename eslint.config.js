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
  { files: ['web/src/**/*.ts', 'web/src/**/*.tsx'], rules: restrict(infrastructure, ['**/src/domain/**', '**/src/storage/**', '**/src/http/**']) },
);
