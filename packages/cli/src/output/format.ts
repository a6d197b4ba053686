import { formatMemory, formatTarget, type Task } from '@kawa/protocol';

/** "3s", "4m", "2h", "5d": how long ago `at` (ms) was. */
export function formatAge(at: number, now: number): string {
  return formatDuration(Math.max(0, now - at));
}

export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const minutes = seconds / 60;
  if (minutes < 60)
    return `${Math.floor(minutes)}m${Math.floor(seconds % 60) > 0 ? `${Math.floor(seconds % 60)}s` : ''}`;
  const hours = minutes / 60;
  if (hours < 48) return `${Math.floor(hours)}h${Math.floor(minutes % 60) > 0 ? `${Math.floor(minutes % 60)}m` : ''}`;
  return `${Math.floor(hours / 24)}d`;
}

/** A local timestamp as YYYY-MM-DD HH:MM:SS. */
export function formatTime(at: number): string {
  const date = new Date(at);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Quotes an argument the way a POSIX shell would need it, for display only. */
export function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_\-+=.,/:@%^]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

export function formatCores(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : cores.toFixed(2).replace(/0+$/, '');
}

export function formatMemoryOrNone(bytes: number | null): string {
  return bytes === null ? '-' : formatMemory(bytes);
}

/** "4", "4-8", "4-6, 9": task ids, runs of three or more shown as a range. */
export function formatIdList(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let start = 0; start < sorted.length;) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === (sorted[end] ?? 0) + 1) end += 1;
    const first = sorted[start] ?? 0;
    const last = sorted[end] ?? 0;
    if (end - start >= 2) parts.push(`${first}-${last}`);
    else for (let index = start; index <= end; index += 1) parts.push(String(sorted[index]));
    start = end + 1;
  }
  return parts.join(', ');
}

/** Where a task runs or asked to run: the placement, else the requested target. */
export function formatPlacement(task: Task): string {
  if (task.node !== null) return formatTarget({ node: task.node, numa: task.numa, gpus: task.gpus });
  return task.target === null ? '-' : formatTarget(task.target);
}

const byteUnits: Record<string, string> = { B: 'B', K: 'kB', M: 'MB', G: 'GB', T: 'TB', P: 'PB' };

/** "0 B", "312 MB", "1.0 GB": a size for people, 1000-based and rounded as memory sizes are. */
export function formatBytes(bytes: number): string {
  return formatMemory(bytes).replace(/([BKMGTP])$/, (unit: string) => ` ${byteUnits[unit] ?? unit}`);
}

/** "312 MB / 1.0 GB (31%)", or "312 MB" while the total is unknown. */
export function formatAmount(doneBytes: number, totalBytes: number | null): string {
  if (totalBytes === null || totalBytes <= 0) return formatBytes(doneBytes);
  return `${formatBytes(doneBytes)} / ${formatBytes(totalBytes)} (${formatPercent(doneBytes, totalBytes)})`;
}

/** A whole percentage, capped at 100 (an estimated total can be passed). */
export function formatPercent(done: number, total: number): string {
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}
