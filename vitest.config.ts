import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (name: string): string => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Unit tests import workspace packages from source, so they run without a build.
// e2e tests drive the built `kawa` binary, so `npm run build` comes first.
const alias = {
  // Before '@kawa/protocol', which would otherwise also match this subpath.
  '@kawa/protocol/testing': fileURLToPath(new URL('./packages/protocol/src/testing.ts', import.meta.url)),
  '@kawa/protocol': source('protocol'),
  '@kawa/config': source('config'),
  '@kawa/client': source('client'),
  '@kawa/host': source('host'),
  '@kawa/runner': source('runner'),
  '@kawa/cli': source('cli'),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'tests/*.test.ts'],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          exclude: ['tests/e2e/docker-*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file starts its own cluster on its own port; two at a time fits two cores.
          maxWorkers: 2,
          // Unit tests first, then the clusters: they would compete for the same two cores.
          sequence: { groupOrder: 1 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e-docker',
          include: ['tests/e2e/docker-*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // One at a time: every test cluster numbers its tasks from 1, and a task's container is
          // kawa-task-<id> on the one dockerd they share, so two clusters at once would collide.
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
