import type { startHost } from '@kawa/host';
import type { startRunner } from '@kawa/runner';

/*
 * The host and runner are loaded only when a daemon command runs: they pull in Fastify, SQLite
 * and the executors, which every short CLI command would otherwise pay for at start. Each is
 * loaded alone, so a runner process never holds the host's code (nor the host the runner's).
 */

export async function loadHost(): Promise<typeof startHost> {
  return (await import('@kawa/host')).startHost;
}

export async function loadRunner(): Promise<typeof startRunner> {
  return (await import('@kawa/runner')).startRunner;
}

/** Both, for `kawa up`. */
export async function loadDaemons(): Promise<{ startHost: typeof startHost; startRunner: typeof startRunner }> {
  const [host, runner] = await Promise.all([loadHost(), loadRunner()]);
  return { startHost: host, startRunner: runner };
}
