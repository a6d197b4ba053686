import type { ExtendProgram } from '@kawa/cli';
import { registerHostCommand } from './host.js';
import { registerRunnerCommand } from './runner.js';
import { processStopSignal } from './stop-signal.js';
import { registerUpCommand } from './up.js';

export interface DaemonOptions {
  /** Called when a daemon starts; the signal aborts when it should shut down. */
  stopSignal(): AbortSignal;
}

/** The long-running commands, `host`, `runner` and `up`, which only the installable package has. */
export function daemonCommands(options: DaemonOptions): ExtendProgram {
  return (program, context) => {
    registerHostCommand(program, context, options);
    registerRunnerCommand(program, context, options);
    registerUpCommand(program, context, options);
  };
}

/** The daemon commands, stopped by SIGINT or SIGTERM. */
export const registerDaemonCommands: ExtendProgram = daemonCommands({ stopSignal: processStopSignal });
