import type { startHost } from '@kawa/host';
import type { startRunner } from '@kawa/runner';

/**
 * Loads the host and runner only when a daemon command runs: they pull in Fastify, SQLite and
 * the executors, which every short CLI command would otherwise pay for at start.
 */
export async function loadDaemons(): Promise<{ startHost: typeof startHost; startRunner: typeof startRunner }> {
  const [host, runner] = await Promise.all([import('@kawa/host'), import('@kawa/runner')]);
  return { startHost: host.startHost, startRunner: runner.startRunner };
}
