import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noWallClock = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'Read time from the Clock (src/clock.ts), never Date.now().',
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'Read time from the Clock (src/clock.ts), never new Date().',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', '.tmp/', 'migrations/', 'web/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-restricted-syntax': ['error', ...noWallClock],
    },
  },
  {
    // Only the clock itself, tests, scripts and benchmarks may read the wall clock.
    files: ['src/clock.ts', '**/*.test.ts', 'scripts/**', 'bench/**', 'src/testing/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // One place reads the environment.
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in src/config.ts.' }],
    },
  },
  {
    // The web app: browser ES modules served as they are (src/web/webRoutes.ts).
    files: ['web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'localStorage', 'fetch', 'URL', 'URLSearchParams', 'Event', 'Element', 'Node', 'confirm', 'setTimeout', 'FormData'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    // The web app's one reader of the wall clock (it follows the server's sandbox time).
    files: ['web/time.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
