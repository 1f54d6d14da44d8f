// ESLint flat config: typescript-eslint's type-aware rules over every room.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'media/worker-build/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['client/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The arrows between the rooms (protocol <- media <- gateway <- server;
  // client -> protocol; inside server/, calls/ <- realtime/, http/, cluster/):
  // an import against them fails the test command (docs/design.md, ADR 020).
  ...boundaries({
    protocol: ['server', 'media', 'gateway', 'client'],
    media: ['server', 'gateway', 'client'],
    gateway: ['server', 'client'],
    client: ['server', 'media', 'gateway'],
    // The call domain: the socket, HTTP and cluster layers depend on it, never back.
    'server/calls': ['realtime', 'http', 'cluster'],
  }),
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);

/** One rule block per room: it may not import from the rooms listed. */
function boundaries(forbidden) {
  return Object.entries(forbidden).map(([room, others]) => ({
    files: [`${room}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // `../x/` or `../../server/x/`, whichever way the import climbs.
              regex: `^(\\.\\./)+(server/)?(${others.join('|')})/`,
              message: `${room}/ may not import ${others.join(', ')} (the arrows in docs/design.md).`,
            },
          ],
        },
      ],
    },
  }));
}
