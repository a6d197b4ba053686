import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import vueParser from 'vue-eslint-parser';

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

/** The web dashboard runs in browsers only, and talks to the host through @kawa/client. */
const webForbidden = ['@kawa/config', '@kawa/host', '@kawa/runner', '@kawa/cli', 'kawa'];

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
  // The dashboard: Vue single-file components parsed by vue-eslint-parser with TypeScript inside.
  ...pluginVue.configs['flat/recommended'].map((config) => ({ ...config, files: ['packages/web/**/*.vue'] })),
  {
    files: ['packages/web/**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: {
        parser: tseslint.parser,
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.vue'],
        sourceType: 'module',
      },
    },
    rules: {
      // Prettier lays out templates; these layout rules would fight it.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
    },
  },
  {
    files: ['packages/web/src/**/*.ts', 'packages/web/src/**/*.vue'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: webForbidden.map((name) => ({
            name,
            message: `web must not depend on ${name} (see shared/STYLE.md).`,
          })),
          patterns: [{ group: ['node:*'], message: 'web runs in browsers: no node:* imports.' }],
        },
      ],
    },
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
