import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The exit code of `child` (null after a signal); past `timeoutMs` it is killed and this rejects. */
export function exitOf(child: ChildProcess, timeoutMs: number, what = 'process'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Everything `child` writes to stdout and stderr so far, read when called. */
export function collectOutput(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { stdout: () => stdout, stderr: () => stderr };
}

/**
 * Resolves with the first stdout line of `child` matching `pattern`; rejects with what it
 * printed (stdout and stderr) if it exits first or `timeoutMs` passes.
 */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`${what}: no line matching ${pattern} in ${timeoutMs} ms; saw:\n${seen.join('\n')}`));
    }, timeoutMs);
    lines.on('line', (line) => {
      seen.push(line);
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        lines.close();
        resolve(match);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? code}) before it was ready:\n${seen.join('\n')}`));
    });
  });
}

/** Stops `child` with SIGTERM (continuing it first if it was SIGSTOPped), SIGKILL after `timeoutMs`. */
export function stopChild(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // A stopped (SIGSTOP) process takes SIGTERM only once it runs again.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  });
}
