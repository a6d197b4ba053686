import { formatMemory } from '@kawa/protocol';

/** Bytes with a 1000-based unit, as Kawa writes memory sizes (512M, 4.0G); an en dash for unknown. */
export function bytes(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : formatMemory(value);
}

export function percent(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(digits)}%`;
}

export function celsius(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${Math.round(value)}°C`;
}

/** A share of a total as 0–100, or null when the total is unknown or zero. */
export function share(part: number | null | undefined, total: number | null | undefined): number | null {
  if (part === null || part === undefined || !total) return null;
  return Math.min(100, Math.max(0, (part / total) * 100));
}

/** A time as the browser's locale writes it, or an en dash. */
export function time(epochMs: number | null | undefined): string {
  return epochMs === null || epochMs === undefined ? '–' : new Date(epochMs).toLocaleString();
}

/** A duration such as 3 s, 4 m 05 s, 2 h 10 m. */
export function duration(ms: number | null): string {
  if (ms === null || ms < 0) return '–';
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} m ${String(seconds % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} m`;
}

/** How long ago, roughly: 5 s ago, 3 m ago. */
export function ago(epochMs: number | null, now: number): string {
  return epochMs === null ? 'never' : `${duration(Math.max(0, now - epochMs))} ago`;
}

/** A task's command as one line, quoting words a shell would split. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Where a task runs, in words: a registry image, an env, or the node itself. */
export function runsInText(task: { image: string | null; container: string | null }): string {
  if (task.image !== null) return `image ${task.image}`;
  return task.container === null ? 'no Docker (NULL), on the node' : `env ${task.container}`;
}
