import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { KawaError } from '@kawa/protocol';
import { registerCompletion } from './commands/completion/completion.js';
import { registerConnect } from './commands/connect.js';
import { registerDockerCommands } from './commands/docker/index.js';
import { registerDoctor } from './commands/doctor/doctor.js';
import { registerInitCommands } from './commands/init/index.js';
import { registerJoin } from './commands/join/join.js';
import { registerNodeCommands } from './commands/node/index.js';
import { registerSshCommands } from './commands/ssh/index.js';
import { registerTaskCommands } from './commands/task/index.js';
import { registerVpsCommands } from './commands/vps/index.js';
import { registerUserCommands } from './commands/user/index.js';
import { registerTokenCommands } from './commands/token/index.js';
import { registerAuditCommand } from './commands/audit/index.js';
import { createContext, type CliContext } from './context.js';
import { exitCodeFor, exitCodeHelp, exitCodes, formatError } from './errors.js';
import { writeLine, type CliIo } from './io.js';

/** Adds more commands (the daemons: host, runner, up) to the program. */
export type ExtendProgram = (program: Command, context: CliContext) => void;

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Commander's own messages start with "error: "; reprint them in the CLI's one error format. */
function formatCommanderOutput(text: string): string {
  if (!text.startsWith('error: ')) return text;
  // The first line is the error; commander may add hints below it ("Did you mean …?").
  const [first = '', ...hints] = text.trimEnd().split('\n');
  return [`${first} (KAWA_ERR_USAGE)`, ...hints, ''].join('\n');
}

const contexts = new WeakMap<Command, CliContext>();

/**
 * The whole `kawa` command tree. It never exits the process: errors surface from
 * `parseAsync` (commander's as CommanderError), and `runCli` turns them into exit codes.
 */
export function buildProgram(io: CliIo, extra?: ExtendProgram): Command {
  const program = new Command('kawa');
  const context = createContext(program, io);
  contexts.set(program, context);
  program
    .description('Kawa: use the machines of a lab or small team as one computer.')
    .version(version, '-V, --version', 'print the version')
    .option('--config <path>', 'config file (default: $KAWA_CONFIG or ~/.kawa/config.toml)')
    .option('--host-url <url>', 'the host to talk to; overrides [client] host_url')
    .option('--token <token>', 'API token; overrides [client] token and token_file')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(formatCommanderOutput(text)),
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .addHelpText('after', `\n${exitCodeHelp}\n`);
  // Subcommands copy these settings when they are created, so set them before adding any.
  registerTaskCommands(program, context);
  registerVpsCommands(program, context);
  registerSshCommands(program, context);
  registerConnect(program, context);
  registerNodeCommands(program, context);
  registerDockerCommands(program, context);
  registerInitCommands(program, context);
  registerUserCommands(program, context);
  registerTokenCommands(program, context);
  registerAuditCommand(program, context);
  registerJoin(program, context);
  registerCompletion(program, context);
  registerDoctor(program, context);
  extra?.(program, context);
  return program;
}

/** The exit code for a commander failure: 0 for help and version, 2 for anything else. */
function commanderExitCode(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return exitCodes.ok;
  return exitCodes.usage;
}

/**
 * Runs the CLI on `argv` (without the node and script paths) and returns the exit code. Prints
 * results to io.stdout and errors as `error: <message> (<CODE>)` to io.stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo, extra?: ExtendProgram): Promise<number> {
  const program = buildProgram(io, extra);
  const context = contexts.get(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context?.exitCode ?? exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    if (error instanceof KawaError) {
      writeLine(io.stderr, formatError(error));
      return exitCodeFor(error);
    }
    const bug = error instanceof Error ? error : new Error(String(error));
    writeLine(io.stderr, `error: ${bug.message} (KAWA_ERR_INTERNAL)`);
    writeLine(io.stderr, 'This is a bug in Kawa; please report it with the trace below.');
    writeLine(io.stderr, bug.stack ?? '');
    return exitCodes.software;
  }
}
