// Reads a process's CPU time and memory from /proc, for the footprint and scale scenarios.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size now and its peak (VmHWM), in bytes. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Samples a process over `ms`: CPU % of one core over the window, and RSS at its end. */
export async function sampleProcess(pid, ms) {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const cpu1 = cpuMs(pid);
  const elapsed = performance.now() - t0;
  return { cpuPercent: ((cpu1 - cpu0) / elapsed) * 100, cpuMs: cpu1 - cpu0, seconds: elapsed / 1000, ...memory(pid) };
}

export const mb = (bytes) => bytes / 2 ** 20;
