import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.scratch/', 'node_modules/', 'data/', 'dist/', 'coverage/', '*.tmp.mjs', 'src/web/static/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Hono's `c.var` builds a new object of every variable on each read; `c.get('name')` reads one (decision 029).
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='c'][property.name='var']", message: "Use c.get('name'): c.var copies every variable per read." }],
    },
  },
);
