import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { CliOutput } from '../io.js';
import { createLineWriter } from './line-writer.js';
import { prefixOf, type Run } from './plan.js';

/** The part of a child process kawarun uses; node's ChildProcess fits, tests pass fakes. */
export interface RunProcess {
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal: NodeJS.Signals): boolean;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
}

export type SpawnProcess = (
  file: string,
  args: readonly string[],
  options: { cwd: string; env: Readonly<Record<string, string | undefined>> },
) => RunProcess;

/** A child in a process group of its own: `kill` signals the whole group. */
class ProcessGroup implements RunProcess {
  constructor(private readonly child: ChildProcess) {}
  get stdout(): Readable | null {
    return this.child.stdout;
  }
  get stderr(): Readable | null {
    return this.child.stderr;
  }
  kill(signal: NodeJS.Signals): boolean {
    try {
      if (this.child.pid !== undefined) {
        process.kill(-this.child.pid, signal);
        return true;
      }
    } catch {
      // The group is gone (ESRCH): the process, if it still exists, is signalled alone.
    }
    return this.child.kill(signal);
  }
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  once(event: 'close' | 'error', listener: (...args: never[]) => void): this {
    this.child.once(event, listener as (...args: unknown[]) => void);
    return this;
  }
}

/**
 * Runs a command in a process group of its own, with no stdin (runs in parallel cannot share
 * one) and piped output. Stopping it signals the whole group: a shell's or a script's own
 * children would otherwise outlive it and hold the run's output open.
 */
export const spawnProcess: SpawnProcess = (file, args, options) =>
  new ProcessGroup(
    spawn(file, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }),
  );

export type Outcome =
  | { kind: 'exited'; code: number }
  | { kind: 'signalled'; signal: NodeJS.Signals }
  | { kind: 'unstartable'; message: string }
  | { kind: 'not-started' };

export interface RunResult {
  run: Run;
  outcome: Outcome;
  /** Whether kawarun stopped it (Ctrl-C); such a run counts as stopped, not failed. */
  stopped: boolean;
  durationMs: number;
}

export interface ExecuteOptions {
  /** How many runs at once. */
  parallel: number;
  spawn: SpawnProcess;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdout: CliOutput;
  stderr: CliOutput;
  /** Aborting stops the runs: SIGTERM at once, SIGKILL after `graceMs`; no new run starts. */
  signal?: AbortSignal;
  graceMs?: number;
  /** Called as each run ends. */
  onEnd?: (result: RunResult) => void;
}

/** Pipes one output stream of a run through a line writer, pausing it while `output` is full. */
function pipeLines(stream: Readable | null, output: CliOutput, prefix: string): Promise<void> {
  if (stream === null) return Promise.resolve();
  const lines = createLineWriter(output, prefix);
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      if (!lines.write(chunk) && output.once) {
        stream.pause();
        output.once('drain', () => stream.resume());
      }
    });
    stream.once('close', () => {
      lines.end();
      resolve();
    });
  });
}

async function runOne(run: Run, options: ExecuteOptions): Promise<RunResult> {
  const started = Date.now();
  const [file = '', ...args] = run.argv;
  const env: Record<string, string | undefined> = {
    // Python holds its output in a block buffer on a pipe; unbuffered, a run's lines show as they come.
    PYTHONUNBUFFERED: '1',
    ...options.env,
    KAWARUN_RUN: String(run.index),
    KAWARUN_RUNS: String(run.total),
  };
  let child: RunProcess;
  try {
    child = options.spawn(file, args, { cwd: options.cwd, env });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { run, outcome: { kind: 'unstartable', message }, stopped: false, durationMs: 0 };
  }
  let stopped = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    stopped = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 5_000);
  };
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener('abort', stop, { once: true });
  const prefix = prefixOf(run);
  const output = Promise.all([
    pipeLines(child.stdout, options.stdout, prefix),
    pipeLines(child.stderr, options.stderr, prefix),
  ]);
  const outcome = await new Promise<Outcome>((resolve) => {
    child.once('error', (error) => resolve({ kind: 'unstartable', message: error.message }));
    child.once('close', (code, signal) =>
      resolve(signal !== null ? { kind: 'signalled', signal } : { kind: 'exited', code: code ?? 1 }),
    );
  });
  options.signal?.removeEventListener('abort', stop);
  clearTimeout(killTimer);
  if (outcome.kind !== 'unstartable') await output;
  return { run, outcome, stopped, durationMs: Date.now() - started };
}

/** Runs every run, `parallel` at a time, in order; returns the results in run order. */
export async function executeRuns(runs: readonly Run[], options: ExecuteOptions): Promise<RunResult[]> {
  const results: RunResult[] = runs.map((run) => ({
    run,
    outcome: { kind: 'not-started' },
    stopped: false,
    durationMs: 0,
  }));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length && !options.signal?.aborted) {
      const position = next;
      next += 1;
      const run = runs[position];
      if (run === undefined) return;
      const result = await runOne(run, options);
      results[position] = result;
      options.onEnd?.(result);
    }
  };
  const workers = Math.max(1, Math.min(options.parallel, runs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
