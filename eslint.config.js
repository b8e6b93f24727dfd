import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', '.bench-build/**', '.bench-tmp/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Layering (ARCHITECTURE.md): science/ is a library and never reaches up.
    files: ['src/science/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/platform/**', '**/network/**', '**/server/**', '**/pipeline/**', '**/cli/**', '**/agent/**', '**/volunteer/**'] }],
    },
  },
);
