import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Cermin's layers, lowest first (docs/ARCHITECTURE.md). A folder of src/ may import its own layer's
 * files and any lower layer, never a higher one: the kit knows no feature, a feature knows no
 * feature above it. Folders on one line are peers and do not import each other. The composition
 * (src/app.ts, src/main.ts, src/cli/, each feature's feature.ts) and sim/ may import anything.
 */
const LAYERS = [
  ['core'],
  ['domain'],
  ['outbound'],
  ['config'],
  ['db'],
  ['http'],
  ['lti'],
  ['preferences', 'consent'],
  ['ai'],
  ['grades'],
  ['recommend'],
  ['coaching'],
  ['privacy'],
  ['admin'],
];
const COMPOSITION = ['app', 'main', 'cli', 'sim'];
const folderRule = (regex, message) => ({ regex, message });
const layerRules = LAYERS.flatMap((peers, level) =>
  peers.map((folder) => {
    const above = [...LAYERS.slice(level + 1).flat(), ...peers.filter((p) => p !== folder), ...COMPOSITION];
    return {
      files: [`src/${folder}/**/*.ts`],
      ignores: [`src/${folder}/feature.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              folderRule(
                `^(\\.\\./)+(${above.join('|')})(/|$)`,
                `src/${folder}/ is below these folders and must not import them (the layers in eslint.config.mjs).`,
              ),
              folderRule(
                '^(\\.\\./)+.*routes$',
                'A route file is mounted by its own feature only (its feature.ts), never imported from another folder.',
              ),
            ],
          },
        ],
      },
    };
  }),
);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      'data/**',
      'coverage/**',
      'views/*.ejs',
      'views/partials/**',
      '*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['src/cli/**', 'bench/**', 'test/**'], rules: { 'no-console': 'off' } },
  ...layerRules,
  {
    files: ['views/static/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        localStorage: 'readonly',
        navigator: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        atob: 'readonly',
        URLSearchParams: 'readonly',
        FormData: 'readonly',
        TextDecoder: 'readonly',
        Uint8Array: 'readonly',
        location: 'readonly',
      },
    },
  },
  {
    files: ['**/*.js'],
    ignores: ['views/static/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { process: 'readonly', module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
);
