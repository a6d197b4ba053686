import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Which workspace packages each package may import (STYLE.md: protocol ← client ← cli; protocol ← host, runner). */
const forbidden = {
  protocol: ['@kawa/config', '@kawa/client', '@kawa/host', '@kawa/runner', '@kawa/cli'],
  config: ['@kawa/client', '@kawa/host', '@kawa/runner', '@kawa/cli'],
  client: ['@kawa/config', '@kawa/host', '@kawa/runner', '@kawa/cli'],
  host: ['@kawa/runner', '@kawa/cli', '@kawa/client'],
  runner: ['@kawa/host', '@kawa/cli', '@kawa/client'],
  cli: ['@kawa/host', '@kawa/runner'],
};

/** Packages the web dashboard imports: no Node built-ins outside their tests. */
const browserSafe = ['protocol', 'client'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.build/**', '.ci/cache/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '*.config.ts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  ...Object.entries(forbidden).map(([pkg, names]) => ({
    files: [`packages/${pkg}/src/**/*.ts`],
    ignores: [`packages/${pkg}/src/**/*.test.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: names.map((name) => ({ name, message: `${pkg} must not depend on ${name} (see shared/STYLE.md).` })),
          patterns: browserSafe.includes(pkg)
            ? [{ group: ['node:*'], message: `${pkg} runs in browsers too: no node:* imports.` }]
            : [],
        },
      ],
    },
  })),
);
