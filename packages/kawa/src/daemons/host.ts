import type { Command } from 'commander';
import type { CliContext } from '@kawa/cli';
import { writeLine } from '@kawa/cli';
import { API_PREFIX } from '@kawa/protocol';
import { logLevelOption, parsePort, type LogLevel } from './options.js';
import { explainStartError } from './start-errors.js';
import { untilAborted } from './stop-signal.js';
import type { DaemonOptions } from './index.js';
import { loadHost } from './load.js';
import { dashboardLine, webAssetsDir } from './web-assets.js';

interface HostFlags {
  port?: string;
  listen?: string;
  logLevel: LogLevel;
}

export function registerHostCommand(program: Command, context: CliContext, options: DaemonOptions): void {
  program
    .command('host')
    .summary('run the host: the API, scheduler and runner gateway')
    .description('Run the Kawa host in the foreground until SIGINT or SIGTERM. Settings come from [host].')
    .option('--port <port>', 'port to listen on; overrides [host] port (0 picks a free one)')
    .option('--listen <address>', 'address to bind; overrides [host] listen')
    .addOption(logLevelOption('info'))
    .action(
      context.run(async (flags: HostFlags) => {
        const stop = options.stopSignal();
        const config = context.config({ host: { port: parsePort(flags.port), listen: flags.listen } });
        const startHost = await loadHost();
        const webRoot = webAssetsDir();
        const host = await startHost({ config: config.host, logLevel: flags.logLevel, webRoot }).catch(
          (error: unknown) => {
            throw explainStartError(error, 'the host', { address: config.host.listen, port: config.host.port });
          },
        );
        const out = context.io.stdout;
        writeLine(out, `Kawa host listening at ${host.url}`);
        writeLine(out, `  API:          ${host.url}${API_PREFIX}`);
        writeLine(out, `  Dashboard:    ${dashboardLine(host.url, webRoot)}`);
        writeLine(out, `  Admin token:  ${host.adminTokenFile}`);
        writeLine(
          out,
          `  Join token:   ${host.joinTokenFile} (runners need it: [runner] join_token_file or join_token)`,
        );
        await untilAborted(stop);
        writeLine(context.io.stderr, 'stopping the host…');
        await host.close();
        return 0;
      }),
    );
}
