// Lint setup: typescript-eslint's recommended type-aware rules plus house rules (docs/style.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.stack/**', 'coverage/**', '.venv-examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // kafkajs and vitest callbacks must be async even when a body has nothing to await.
      '@typescript-eslint/require-await': 'off',
      // kafkajs types its payload callbacks (resolveOffset, heartbeat, …) as methods although they
      // are closures; destructuring them is the documented usage.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-console': 'off',
      // kafkajs must load through services/common/src/kafka/kafkajs.ts, which installs the faster
      // protocol encoder first (kafkajs modules capture the class when they load).
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kafkajs',
              message:
                "import kafkajs values from services/common/src/kafka/kafkajs.ts ('import type' is fine)",
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // The Kafka seam: outside services/common/src/kafka, services hold the client's handles through
    // kafka-client.ts and work on the neutral records of records.ts, so swapping or patching the
    // client touches that one folder.
    files: ['services/**/*.ts'],
    ignores: ['services/common/src/kafka/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kafkajs',
              message:
                'outside services/common/src/kafka, use its kafka-client.ts (handles), records.ts (records) or kafkajs.ts (values)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The console's page scripts run in the browser (no bundler, no modules).
    files: ['services/console/public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'localStorage',
          'fetch',
          'URLSearchParams',
          'FormData',
          'Node',
          'setTimeout',
          'setInterval',
          'clearInterval',
          'Charts',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
