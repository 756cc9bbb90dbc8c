import { defineConfig } from 'vitest/config';

// Three projects: unit tests need nothing running; integration tests get a real Kafka broker and
// schema registry from test/integration/global-setup.ts (external, testcontainers, or local jars);
// the fault suites (`npm run test:faults`) start their own stacks because they kill brokers: one
// broker for `faults`, a 3-node replicated cluster for `faults-cluster`.
export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores are shared by the broker, the registry, the services under test and
          // vitest itself; two test files at a time keeps the suite fast without starving them.
          maxWorkers: 2,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          exclude: ['test/faults/cluster.test.ts'],
          environment: 'node',
          globalSetup: ['test/faults/global-setup.ts'],
          // One scenario at a time: each one loads the two cores and faults the shared broker.
          maxWorkers: 1,
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 180_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'faults-cluster',
          include: ['test/faults/cluster.test.ts'],
          environment: 'node',
          globalSetup: ['test/faults/cluster-global-setup.ts'],
          env: { FAULTS_REPORT_NAME: 'faults-cluster-report' },
          maxWorkers: 1,
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 180_000,
          pool: 'forks',
        },
      },
    ],
  },
});
