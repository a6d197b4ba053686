import type { Command } from 'commander';
import type { CliContext } from '@kawa/cli';
import { writeLine } from '@kawa/cli';
import { logLevelOption, type LogLevel } from './options.js';
import { explainStartError } from './start-errors.js';
import { untilAborted } from './stop-signal.js';
import type { DaemonOptions } from './index.js';
import { loadRunner } from './load.js';

interface RunnerFlags {
  name?: string;
  hostUrl?: string;
  stateDir?: string;
  joinTokenFile?: string;
  logLevel: LogLevel;
}

export function registerRunnerCommand(program: Command, context: CliContext, options: DaemonOptions): void {
  program
    .command('runner')
    .summary('run a runner: dial the host and run the tasks it places here')
    .description('Run a Kawa runner in the foreground until SIGINT or SIGTERM. Settings come from [runner].')
    .option('--name <name>', 'node name; overrides [runner] name (default: the hostname)')
    // --host-url is also the global [client] flag; the runner takes its value as [runner] host_url.
    .option('--host-url <url>', 'where the host listens; overrides [runner] host_url')
    .option('--state-dir <dir>', 'local state dir; overrides [runner] state_dir')
    .option('--join-token-file <file>', 'file holding the join token; overrides [runner] join_token_file')
    .addOption(logLevelOption('info'))
    .action(
      context.run(async (flags: RunnerFlags, command: Command) => {
        const stop = options.stopSignal();
        const hostUrl = flags.hostUrl ?? command.optsWithGlobals<{ hostUrl?: string }>().hostUrl;
        const config = context.config({
          runner: {
            name: flags.name,
            host_url: hostUrl,
            state_dir: flags.stateDir,
            join_token_file: flags.joinTokenFile,
          },
        });
        const startRunner = await loadRunner();
        const runner = await startRunner({ config: config.runner, logLevel: flags.logLevel }).catch(
          (error: unknown) => {
            throw explainStartError(error, 'the runner');
          },
        );
        writeLine(context.io.stdout, `Kawa runner ${runner.name} connecting to ${config.runner.host_url}`);
        // A runner that cannot connect keeps retrying; only a fatal refusal ends it early.
        const failure = new AbortController();
        let fatal: unknown;
        runner.connected.then(
          () => writeLine(context.io.stdout, `Kawa runner ${runner.name} connected`),
          (error: unknown) => {
            fatal = error;
            failure.abort();
          },
        );
        await untilAborted(AbortSignal.any([stop, failure.signal]));
        if (fatal === undefined) writeLine(context.io.stderr, `stopping runner ${runner.name}…`);
        await runner.close();
        if (fatal !== undefined)
          throw fatal instanceof Error ? fatal : new Error(`the runner stopped: ${JSON.stringify(fatal)}`);
        return 0;
      }),
    );
}
