// ESLint flat config: typescript-eslint's recommended rules, type-aware, over the TypeScript sources.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', '.node/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use an `as const` object, not an enum.' }],
    },
  },
  {
    // The dashboard runs in the browser as plain ES modules, with no build step.
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // The simulated hypervisor is pure: no Node, no clocks, no randomness but the seeded one.
    files: ['src/hypervisor/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', '../control/*', '../store/*', '../runtime/*', '../http/*', '../cli/*'] }],
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'performance'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use the seeded generator passed in.' }],
    },
  },
);
