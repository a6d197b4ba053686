import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '@kawa/cli';
import { daemonCommands } from './daemons/index.js';

export interface Collector {
  write(chunk: string | Uint8Array): boolean;
  text(): string;
}

export function collector(): Collector {
  const chunks: Buffer[] = [];
  return {
    write(chunk) {
      chunks.push(Buffer.from(chunk));
      return true;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'kawa-daemon-test-'));
}

/** A daemon command run in-process, stopped through its AbortController. */
export interface RunningDaemon {
  stdout: Collector;
  stderr: Collector;
  /** Resolves with the exit code once the command returns. */
  exit: Promise<number>;
  /** Waits until stdout has a line matching `pattern`, or the daemon exits. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<number>;
}

export function startDaemon(argv: string[], env: Record<string, string>): RunningDaemon {
  const stdout = collector();
  const stderr = collector();
  const controller = new AbortController();
  const io: CliIo = { stdout, stderr, env, cwd: env.HOME ?? '/', isTTY: false };
  let exited = false;
  const exit = runCli(argv, io, daemonCommands({ stopSignal: () => controller.signal })).finally(() => {
    exited = true;
  });
  return {
    stdout,
    stderr,
    exit,
    async line(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (const text of stdout.text().split('\n')) {
          const match = pattern.exec(text);
          if (match) return match;
        }
        if (exited) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`no line matching ${pattern}; stdout:\n${stdout.text()}\nstderr:\n${stderr.text()}`);
    },
    stop() {
      controller.abort('SIGTERM');
      return exit;
    },
  };
}

/** Runs one CLI command in-process with `env` and returns its exit code and output. */
export async function kawa(
  env: Record<string, string>,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { stdout, stderr, env, cwd: env.HOME ?? '/', isTTY: false });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A node name unique to this test process, so parallel test files never share cgroup paths. */
export function uniqueNodeName(label: string): string {
  return `unit-${label}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
}
