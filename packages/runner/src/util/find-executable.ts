import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type FindResult = { path: string } | { error: 'not-found' | 'not-executable' | 'is-directory' };

async function check(path: string): Promise<FindResult> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { error: 'is-directory' };
  } catch {
    return { error: 'not-found' };
  }
  try {
    await access(path, constants.X_OK);
    return { path };
  } catch {
    return { error: 'not-executable' };
  }
}

/**
 * Resolves a command the way execvp does: a name with a slash is a path (relative to `cwd`),
 * anything else is looked up in `searchPath`. Used to report "not found" before spawning,
 * because behind the cgroup wrapper the exec failure would only show as exit code 127.
 */
export async function findExecutable(command: string, searchPath: string, cwd: string): Promise<FindResult> {
  if (command.includes('/')) return check(isAbsolute(command) ? command : resolve(cwd, command));
  let firstError: FindResult | null = null;
  for (const dir of searchPath.split(delimiter)) {
    const result = await check(join(dir === '' ? cwd : dir, command));
    if ('path' in result) return result;
    if (result.error !== 'not-found') firstError ??= result;
  }
  return firstError ?? { error: 'not-found' };
}
