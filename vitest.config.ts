import { defineConfig } from 'vitest/config';

// Two projects: unit tests need nothing running; integration tests get a real Kafka broker and
// schema registry from test/integration/global-setup.ts (external, testcontainers, or local jars).
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
    ],
  },
});
