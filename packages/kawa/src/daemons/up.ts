import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { writeLine, writePrivateFile, type CliContext } from '@kawa/cli';
import { renderDefaultConfig, type KawaConfig } from '@kawa/config';
import { API_PREFIX, KawaError } from '@kawa/protocol';
import type { RunningRunner } from '@kawa/runner';
import { logLevelOption, parsePort, type LogLevel } from './options.js';
import { explainStartError } from './start-errors.js';
import { untilAborted } from './stop-signal.js';
import type { DaemonOptions } from './index.js';
import { loadDaemons } from './load.js';
import { dashboardLine, webAssetsDir } from './web-assets.js';

interface UpFlags {
  port?: string;
  listen?: string;
  runnerName?: string;
  logLevel: LogLevel;
}

/** How long `kawa up` waits for its own runner to join before giving up. */
const CONNECT_TIMEOUT_MS = 30_000;

const sameUrl = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * Makes the CLI (and extra `kawa runner`s) in this HOME find the cluster with no set-up: writes
 * a config with the real URL when there is none, or says how to fix one that points elsewhere.
 * Returns a note for the summary.
 */
function wireConfig(
  context: CliContext,
  config: Readonly<KawaConfig>,
  url: string,
  port: number,
  adminTokenFile: string,
): string {
  const warn = (text: string): void => writeLine(context.io.stderr, `warning: ${text}`);
  let note = '';
  if (!config.fileExists) {
    try {
      writePrivateFile(config.path, renderDefaultConfig({ port, hostUrl: url }), false);
      note = ' (written now, pointing the CLI at this host)';
    } catch (error) {
      warn(
        `could not write ${config.path}: ${error instanceof Error ? error.message : String(error)}; the CLI needs --host-url ${url}`,
      );
    }
  } else if (!sameUrl(config.client.host_url, url)) {
    warn(
      `[client] host_url is ${config.client.host_url}, but Kawa is up at ${url}, so the CLI will not find it. ` +
        `Set host_url = "${url}" under [client] (and [runner]) in ${config.path}, or export KAWA_CLIENT_HOST_URL=${url}.`,
    );
  }
  if (config.client.token === '' && config.client.token_file !== adminTokenFile) {
    warn(
      `[client] token_file is ${config.client.token_file}, but this host's admin token is in ${adminTokenFile}; set token_file = "${adminTokenFile}" under [client].`,
    );
  }
  return note;
}

function rejectAfter(ms: number, signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new KawaError(
            'KAWA_ERR_RUNNER_UNAVAILABLE',
            `the runner did not join the host within ${ms / 1000}s; run with --log-level debug to see why`,
          ),
        ),
      ms,
    );
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });
}

export function registerUpCommand(program: Command, context: CliContext, options: DaemonOptions): void {
  program
    .command('up')
    .summary('start a one-machine cluster: host and runner in one process')
    .description(
      'Start a host and a runner on this machine in one process, with config, tokens and the shared dir under ~/.kawa. ' +
        'Writes ~/.kawa/config.toml on first use so the CLI works with no set-up. Runs until SIGINT or SIGTERM.',
    )
    .option('--port <port>', 'port to listen on; overrides [host] port (0 picks a free one)')
    .option('--listen <address>', 'address to bind; overrides [host] listen')
    .option('--runner-name <name>', 'node name of the runner; overrides [runner] name (default: the hostname)')
    .addOption(logLevelOption('warn'))
    .action(
      context.run(async (flags: UpFlags) => {
        const stop = options.stopSignal();
        const config = context.config({
          host: { port: parsePort(flags.port), listen: flags.listen },
          runner: { name: flags.runnerName },
        });
        const { startHost, startRunner } = await loadDaemons();
        const webRoot = webAssetsDir();
        const host = await startHost({ config: config.host, logLevel: flags.logLevel, webRoot }).catch(
          (error: unknown) => {
            throw explainStartError(error, 'the host', { address: config.host.listen, port: config.host.port });
          },
        );
        let runner: RunningRunner | undefined;
        try {
          const joinToken = readFileSync(host.joinTokenFile, 'utf8').trim();
          // The runner shares this machine's host: same URL, same shared dir.
          const runnerConfig = { ...config.runner, host_url: host.url, shared_dir: config.host.shared_dir };
          runner = await startRunner({
            config: runnerConfig,
            hostUrl: host.url,
            joinToken,
            logLevel: flags.logLevel,
            // SSH streams go from the runner to the host in-process, not over loopback.
            localStreams: (streamId, socket) => host.acceptLocalStream(streamId, socket),
          }).catch((error: unknown) => {
            throw explainStartError(error, 'the runner');
          });
          const connectDone = new AbortController();
          try {
            await Promise.race([
              runner.connected,
              rejectAfter(CONNECT_TIMEOUT_MS, connectDone.signal),
              untilAborted(stop),
            ]);
          } finally {
            connectDone.abort();
          }
        } catch (error) {
          await runner?.close().catch(() => undefined);
          await host.close().catch(() => undefined);
          throw error;
        }
        if (stop.aborted) {
          await runner.close();
          await host.close();
          return 0;
        }

        const note = wireConfig(context, config, host.url, host.port, host.adminTokenFile);
        const out = context.io.stdout;
        // The first line is a contract: scripts and tests read the URL and node name from it.
        writeLine(out, `Kawa is up at ${host.url} (node ${runner.name})`);
        writeLine(out, `  API:          ${host.url}${API_PREFIX}`);
        writeLine(out, `  Dashboard:    ${dashboardLine(host.url, webRoot)}`);
        writeLine(out, `  Admin token:  ${host.adminTokenFile}`);
        writeLine(out, `  Config:       ${config.path}${note}`);
        writeLine(out, '  Try:          kawa task submit --container NULL --wait -- echo hello');
        writeLine(out, 'Press Ctrl-C to stop.');

        await untilAborted(stop);
        writeLine(context.io.stderr, 'stopping…');
        await runner.close();
        await host.close();
        writeLine(context.io.stderr, 'stopped');
        return 0;
      }),
    );
}
