export { buildProgram, runCli, type ExtendProgram } from './program.js';
export { resolveToken, type CliContext, type GlobalOptions } from './context.js';
export { UsageError, checkLocally, exitCodeFor, exitCodeHelp, exitCodes, formatError } from './errors.js';
export { writeAll, writeLine, type CliIo, type CliOutput } from './io.js';
export { writePrivateFile } from './commands/init/config.js';
export { runKawarun, type KawarunIo } from './kawarun/main.js';
