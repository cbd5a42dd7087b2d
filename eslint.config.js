// ESLint flat config: typescript-eslint's recommended rules, type-aware (the project
// service gives every rule the type checker's view), over the TypeScript sources.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated files (the client's types from openapi.yaml) are not linted: `npm run sdk` writes them.
  { ignores: ['node_modules/', 'data/', 'dist/', '.node/', 'test-artifacts/', '**/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // A promise nobody awaits loses its error (and, in a test, its assertion).
      // (node:test's describe and it return promises the runner itself awaits.)
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // A new case in a union (a domctl, a workload, an event) must be handled everywhere it is switched on.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use an `as const` object, not an enum.' }],
    },
  },
  {
    // The dashboard runs in the browser as plain ES modules, with no build step.
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Benchmark children in plain JavaScript run under node, as the daemon's build does.
    files: ['bench/**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // The simulated hypervisor is pure: no clocks, no randomness but the seeded one; so is the
    // vocabulary below it. (What they may import is dependency-cruiser's rule: .dependency-cruiser.mjs.)
    files: ['src/hypervisor/**/*.ts', 'src/vocabulary/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['Date', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process', 'performance', 'crypto', 'fetch'],
        ...['globalThis', 'global', 'self', 'window', 'require'],
      ],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use the seeded generator passed in.' }],
    },
  },
  {
    // The expected-share model takes plain inputs: nothing from Node or the other layers.
    files: ['src/fairness/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', '../*/*'] }],
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'performance'],
    },
  },
);
