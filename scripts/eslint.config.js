// Flat ESLint config: typescript-eslint's recommended rules plus the layering rule that keeps
// src/domain free of framework imports.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', document: 'readonly', window: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/domain/**/*.ts', 'src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@slack/*', 'express', 'mongoose', 'mongodb', 'agenda', '@agendajs/*', 'octokit', '@octokit/*', '**/slack/**', '**/http/**', '**/persistence/**', '**/jobs/**', '**/github/**', '**/hosting/**', '**/upstream/**'],
              message: 'domain and services depend only on ports; adapters plug in from src/app.ts',
            },
          ],
        },
      ],
    },
  },
);
