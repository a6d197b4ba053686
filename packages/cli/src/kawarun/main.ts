import { createRequire } from 'node:module';
import { availableParallelism, constants } from 'node:os';
import { KawaError } from '@kawa/protocol';
import { exitCodeFor, exitCodes, formatError } from '../errors.js';
import { writeLine, type CliOutput } from '../io.js';
import { formatCommand } from '../output/format.js';
import { writeJson } from '../output/json.js';
import { parseKawarunArgs } from './args.js';
import { executeRuns, spawnProcess, type SpawnProcess } from './execute.js';
import { helpText } from './help.js';
import { planRuns, prefixOf, type Run } from './plan.js';
import { FUNCTION_LAUNCHER, LAUNCHER_PLACEHOLDER } from './python.js';
import { describeOutcome, statusOf, summaryJson, summaryLine } from './summary.js';
import { nodeTargetSystem } from './system.js';
import { resolveTarget, type TargetSystem } from './target.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Everything kawarun touches outside itself; tests pass their own. */
export interface KawarunIo {
  stdout: CliOutput;
  stderr: CliOutput;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted with the signal's name ('SIGINT', 'SIGTERM') to stop the runs. */
  signal?: AbortSignal;
  spawn?: SpawnProcess;
  system?: TargetSystem;
  /** What --parallel alone means; default: this machine's CPUs. */
  cpuCount?: number;
  /** How long a stopped run has between SIGTERM and SIGKILL. */
  graceMs?: number;
}

function printDryRun(io: KawarunIo, runs: readonly Run[], json: boolean): void {
  if (json) {
    writeJson(io.stdout, { runs: runs.map(({ index, argv, label }) => ({ index, argv, label })) });
    return;
  }
  for (const run of runs)
    writeLine(
      io.stdout,
      formatCommand(run.argv.map((arg) => (arg === FUNCTION_LAUNCHER ? LAUNCHER_PLACEHOLDER : arg))),
    );
}

/** 128 + the signal's number, as a shell reports a process ended by it. */
function interruptedCode(signal: AbortSignal): number {
  const name = typeof signal.reason === 'string' ? signal.reason : 'SIGINT';
  return 128 + (constants.signals[name as NodeJS.Signals] ?? constants.signals.SIGINT);
}

/** Runs kawarun on `argv` (without node and script) and returns its exit status. */
export async function runKawarun(argv: readonly string[], io: KawarunIo): Promise<number> {
  const cpus = io.cpuCount ?? availableParallelism();
  try {
    const args = parseKawarunArgs(argv);
    if (args.help) {
      io.stdout.write(helpText(cpus));
      return exitCodes.ok;
    }
    if (args.version || args.target === undefined) {
      writeLine(io.stdout, `kawarun ${version}`);
      return exitCodes.ok;
    }
    const target = await resolveTarget(args.target, io.system ?? nodeTargetSystem(io.cwd, io.env));
    const runs = planRuns(target, args.args);
    if (args.dryRun) {
      printDryRun(io, runs, args.json);
      return exitCodes.ok;
    }
    const results = await executeRuns(runs, {
      parallel: args.parallel ?? cpus,
      spawn: io.spawn ?? spawnProcess,
      cwd: io.cwd,
      env: io.env,
      // With --json, stdout carries only the summary: the runs' own output goes to stderr.
      stdout: args.json ? io.stderr : io.stdout,
      stderr: io.stderr,
      ...(io.signal ? { signal: io.signal } : {}),
      ...(io.graceMs === undefined ? {} : { graceMs: io.graceMs }),
      onEnd: (result) => {
        if (statusOf(result) === 'failed')
          writeLine(io.stderr, `${prefixOf(result.run)}failed: ${describeOutcome(result.outcome)}`);
      },
    });
    writeLine(io.stderr, summaryLine(results));
    if (args.json) writeJson(io.stdout, summaryJson(results));
    if (io.signal?.aborted) return interruptedCode(io.signal);
    return results.every((result) => statusOf(result) === 'ok') ? exitCodes.ok : exitCodes.failed;
  } catch (error) {
    if (error instanceof KawaError) {
      writeLine(io.stderr, formatError(error));
      return exitCodeFor(error);
    }
    const bug = error instanceof Error ? error : new Error(String(error));
    writeLine(io.stderr, `error: ${bug.message} (KAWA_ERR_INTERNAL)`);
    writeLine(io.stderr, bug.stack ?? '');
    return exitCodes.software;
  }
}
