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

/**
 * findExecutable with a short memory for commands found through PATH: a burst of tasks
 * running the same program costs one PATH walk, not one per task. Only hits are kept, so a
 * newly installed program is found at once; a removed one fails at exec (exit 127) for at
 * most `ttlMs`.
 */
export function cachedFindExecutable(ttlMs: number, now: () => number = Date.now): typeof findExecutable {
  const hits = new Map<string, { path: string; until: number }>();
  return async (command, searchPath, cwd) => {
    if (command.includes('/')) return findExecutable(command, searchPath, cwd);
    const key = `${cwd}\0${searchPath}\0${command}`;
    const hit = hits.get(key);
    if (hit !== undefined && hit.until > now()) return { path: hit.path };
    const found = await findExecutable(command, searchPath, cwd);
    if ('path' in found) {
      if (hits.size >= 1000) hits.clear();
      hits.set(key, { path: found.path, until: now() + ttlMs });
    }
    return found;
  };
}
