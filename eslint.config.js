// Lint for scripts/ and test/: typescript-eslint's recommended rules, formatting left to
// Prettier (`npm run lint` checks both), and the layer rule cli → app → host → core as
// failing checks (ARCHITECTURE.md).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const layer = (name) => ({
  group: [`**/${name}/**`, `../${name}/**`, `./${name}/**`],
  message: `this layer must not import ${name}/ (ARCHITECTURE.md: cli → app → host → core)`,
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    // Finding control characters is what this project's escaping regexes are for (R100).
    rules: { 'no-control-regex': 'off' },
  },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  {
    // Test services started as `node FILE` in containers: CommonJS.
    files: ['test/e2e/mock-model/**/*.js', 'test/e2e/mock-agents/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Small files and functions (ARCHITECTURE.md): a longer one is split into named steps.
    files: ['scripts/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  { rules: { 'max-len': ['error', { code: 140, ignoreUrls: true }] } },
  {
    files: ['scripts/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [layer('host'), layer('app'), layer('cli')],
          paths: [
            'fs',
            'node:fs',
            'node:fs/promises',
            'child_process',
            'node:child_process',
            'node:os',
            'node:crypto',
            'node:process',
            'node:http',
            'node:https',
          ].map((name) => ({
            name,
            message: 'core is pure: no file system, processes, clock or randomness (do it in host/)',
          })),
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'core is pure: take what you need as an argument' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core is pure: take the time as an argument' },
        { object: 'Math', property: 'random', message: 'core is pure: take randomness as an argument' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'core is pure: take the time as an argument' },
      ],
    },
  },
  { files: ['scripts/host/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [layer('app'), layer('cli')] }] } },
  { files: ['scripts/app/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [layer('cli')] }] } },
);
