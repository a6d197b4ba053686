import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../../../util/errno.js';
import { sleep } from '../../../util/sleep.js';

/** Writes one value into a cgroup control file. */
export function writeControl(dir: string, file: string, value: string): Promise<void> {
  return writeFile(join(dir, file), value);
}

/**
 * writeControl without the thread pool, for the pooled hot path: cgroupfs answers from kernel
 * memory, so the syscalls take microseconds and a round trip through libuv costs more.
 */
export function writeControlSync(dir: string, file: string, value: string): void {
  writeFileSync(join(dir, file), value);
}

export async function readControl(dir: string, file: string): Promise<string | null> {
  try {
    return await readFile(join(dir, file), 'utf8');
  } catch {
    return null;
  }
}

/** Reads `key value` lines (memory.events, memory.oom_control, cgroup.events) into numbers. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** The pids in a cgroup. */
export async function readProcs(dir: string): Promise<number[]> {
  const text = await readControl(dir, 'cgroup.procs');
  if (text === null) return [];
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** How many processes a cgroup holds (synchronously, see writeControlSync); null when unreadable. */
export function countProcsSync(dir: string): number | null {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
  } catch {
    return null;
  }
  return text.split('\n').filter((line) => line !== '').length;
}

export function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already (ESRCH) between reading cgroup.procs and here.
    }
  }
}

/** Polls `check` with short, growing sleeps until it holds or `timeoutMs` has passed. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(50, 1 + attempt * 2));
  }
  return false;
}

/**
 * Removes a cgroup dir. rmdir fails with EBUSY while processes are still leaving, so it
 * kills what is left and retries for up to `timeoutMs`. Returns false if the dir stayed.
 */
export async function removeCgroupDir(
  dir: string,
  killRemaining: () => Promise<void>,
  timeoutMs = 3000,
): Promise<boolean> {
  return waitUntil(async () => {
    try {
      await rmdir(dir);
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return true;
      await killRemaining();
      return false;
    }
  }, timeoutMs);
}
