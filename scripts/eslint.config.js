// Flat ESLint config: typescript-eslint's recommended rules plus the layering rules: src/domain and src/services
// free of framework and adapter imports, and each adapter folder kept out of every other adapter folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Adapter folders under src/: each may use domain, services, src/lib and itself — never another adapter. */
const ADAPTERS = ['jobs', 'persistence', 'hosting', 'http', 'slack', 'upstream', 'github', 'metrics'];

/**
 * The adapter-to-adapter imports that stay, each for a reason a helper move would not remove.
 * file → the adapter folders it may also import.
 */
const ADAPTER_EXCEPTIONS = {
  // The embedded queue lives in the state's SQLite database on purpose: a job and the state it changes commit
  // in one transaction (enqueue inside repos.transaction). Splitting that needs a transaction port.
  'src/jobs/sqlite-queue.ts': ['persistence'],
  // The SSRF/transport guard is the one check every git contact passes (upstream polls and hosting checkouts);
  // it belongs beside git-exec in upstream/ until git access itself is one shared module.
  'src/hosting/git-checkout.ts': ['upstream'],
  'src/hosting/local-driver.ts': ['upstream'],
  'src/hosting/command-driver.ts': ['upstream'],
};

/**
 * Transports (Slack, HTTP) read and change state through the services only: the repository ports are not theirs
 * to import (the persistence adapters already are not, by the adapter rule). RedeliveryStore stays: it is the
 * transports' own memory of requests they handled, not application state.
 */
const TRANSPORTS = ['http', 'slack'];
// The state ports. RedeliveryStore and SessionStore are not here: they are the transports' own plumbing (recognising
// Slack/GitHub redeliveries, admin sessions), not domain state.
const REPOSITORY_PORTS = [
  'Repositories',
  'DistributionRepository',
  'PlatformRepository',
  'SiteRepository',
  'TaskRepository',
  'UpgradePlanRepository',
  'RolloutRepository',
  'AdvisoryRepository',
  'AuditStore',
  'HoldStore',
];

/** Transport files that still take the repositories, and why. */
const TRANSPORT_EXCEPTIONS = [];

const adapterBoundary = (folder, allowed = [], transport = TRANSPORTS.includes(folder)) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: ADAPTERS.filter((a) => a !== folder && !allowed.includes(a)).map((a) => `**/${a}/**`),
          message: `src/${folder} is an adapter: it may import domain, services, src/lib and its own folder, not another adapter (shared helpers go in src/lib/)`,
        },
        ...(transport
          ? [
              {
                group: ['**/domain/ports.js'],
                importNames: REPOSITORY_PORTS,
                message: `src/${folder} is a transport: it reads and changes state through the services (src/services), not the repositories`,
              },
            ]
          : []),
      ],
    },
  ],
});

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
  ...ADAPTERS.map((folder) => ({ files: [`src/${folder}/**/*.ts`], rules: adapterBoundary(folder) })),
  ...Object.entries(ADAPTER_EXCEPTIONS).map(([file, allowed]) => ({
    files: [file],
    rules: adapterBoundary(file.split('/')[1], allowed),
  })),
  ...TRANSPORT_EXCEPTIONS.map((file) => ({ files: [file], rules: adapterBoundary(file.split('/')[1], [], false) })),
);
