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

const wiring = [
  '**/runtime*',
  '**/config*',
  '**/src/main.ts',
  '../main.ts',
  '../../main.ts',
  '**/mail/outbox-worker*',
  '**/mail/transport*',
];

const infrastructure = [
  'fastify',
  '@fastify/helmet',
  '@fastify/cookie',
  '@fastify/static',
  'kysely',
  'pg',
  '@electric-sql/pglite',
  'nodemailer',
  'node:http',
  'pino',
  'oidc-provider',
];

const typeChecked = tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['**/*.ts', '**/*.tsx'] }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/dist/**', 'data/**', 'dist/**', 'vitest.config.ts'] },
  // typescript-eslint's type-checked set: promises that are neither awaited nor handled (a test
  // whose expectation never runs, a failure nobody sees), `any` flowing into typed code, methods
  // called without their object.
  ...typeChecked,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'no-debugger': 'error',
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // An adapter implements a Promise-returning port with `async` even where it has nothing to
      // await (a thrown error then rejects, as the port's callers expect).
      '@typescript-eslint/require-await': 'off',
    },
  },
  // Migrations run against the schema of their own time, not today's: Kysely's documented
  // `Kysely<any>` (https://kysely.dev/docs/migrations).
  {
    files: ['src/storage/migrations/**/*.ts', 'src/storage/migrate.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  // Components' props declare callbacks as properties (`render: (me: Me) => ReactNode`): a method
  // signature is checked bivariantly and reads as a method that needs its object (unbound-method).
  // Ports in src/ stay method signatures: they are objects whose methods are called on them.
  { files: ['web/src/**/*.ts', 'web/src/**/*.tsx'], rules: { '@typescript-eslint/method-signature-style': ['error', 'property'] } },
  // Tests read JSON answers whose shape is what they assert (`response.json()` is `any` by
  // design there), and hand methods to expect(); the promise rules stay on.
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/crypto/**/*.ts'],
    rules: restrict(infrastructure, ['**/domain/**', '**/storage/**', '**/http/**', '**/mail/**', '**/cli/**']),
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: restrict(infrastructure, ['**/storage/**', '**/http/**', '**/cli/**', '../../mail/**', '**/runtime*', '**/config*']),
  },
  // The composition root (runtime, config) and the mail worker are wired from outside: the
  // adapters take what they need as deps and never reach for process-level wiring themselves.
  // oidc-provider is the protocol layer of http/oidc/: storage keeps its state through a domain port.
  { files: ['src/storage/**/*.ts'], rules: restrict(['fastify', 'nodemailer', 'oidc-provider'], ['**/http/**', '**/cli/**', ...wiring]) },
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
            {
              group: ['**/src/**', '!**/src/http/api/contract.ts'],
              message: 'The web imports nothing from the server but the types of src/http/api/contract.ts.',
            },
            {
              group: ['**/src/http/api/contract.ts'],
              allowTypeImports: true,
              message: 'Types only (`import type`): no server code in the web bundle.',
            },
          ],
        },
      ],
    },
  },
);
