/** How one doctor check came out. `fail` makes `kawa doctor` exit non-zero; `warn` does not. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Short and stable, for --json readers: docker, cgroups, numactl, nvidia-smi, shared-dir, host, clock. */
  name: string;
  status: CheckStatus;
  /** What was found. */
  message: string;
  /** What to do about a warn or fail; absent when ok. */
  fix?: string;
}

export const ok = (name: string, message: string): CheckResult => ({ name, status: 'ok', message });

export const warn = (name: string, message: string, fix: string): CheckResult => ({
  name,
  status: 'warn',
  message,
  fix,
});

export const fail = (name: string, message: string, fix: string): CheckResult => ({
  name,
  status: 'fail',
  message,
  fix,
});

/** The reason of a Node system error, by its code when it has one. */
export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
