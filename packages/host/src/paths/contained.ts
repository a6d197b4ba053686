import { realpathSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { KawaError } from '@kawa/protocol';

/** The path's segments, after resolving `.`, `..` and repeated or trailing slashes. */
function segments(path: string): string[] {
  return posix
    .normalize(path)
    .split('/')
    .filter((part) => part !== '');
}

/**
 * Whether `path` is `root` or lies below it. Segments are compared, not strings, so `/data2`
 * is not under `/data`. Lexical: see realPathOf for what symlinks make of a path.
 */
export function isPathWithin(path: string, root: string): boolean {
  const pathParts = segments(path);
  const rootParts = segments(root);
  return rootParts.length <= pathParts.length && rootParts.every((part, index) => pathParts[index] === part);
}

const isMissing = (error: unknown): boolean => {
  const code = (error as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * Where `path` really is on this machine: the realpath of its longest existing prefix, with the
 * missing rest appended (a path that does not exist yet still resolves through the symlinks of
 * its parents). Synchronous: used on the submit path, once per mount.
 */
export function realPathOf(path: string): string {
  let existing = posix.normalize(path);
  const missing: string[] = [];
  for (let depth = 0; depth < 4096; depth += 1) {
    try {
      return posix.join(realpathSync.native(existing), ...missing);
    } catch (error) {
      if (!isMissing(error) || existing === '/') throw error;
      missing.unshift(posix.basename(existing));
      existing = posix.dirname(existing);
    }
  }
  return path;
}

/**
 * Refuses (403 KAWA_ERR_UNSAFE_PATH) a path under `root` that leads outside it: a symlink at the
 * path itself, or anywhere between root and the path, pointing out. A path that does not exist
 * is fine (nothing can be read or written through it). `what` names the path in the message.
 */
export async function assertContained(path: string, root: string, what: string): Promise<void> {
  let link = false;
  try {
    link = (await lstat(path)).isSymbolicLink();
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const [realRoot, realTarget] = await Promise.all([realpath(root), realpath(path).catch(() => null)]);
  if (!link && realTarget !== null && isPathWithin(realTarget, realRoot)) return;
  throw new KawaError(
    'KAWA_ERR_UNSAFE_PATH',
    `${what} (${path}) is a symlink or leads outside ${root}; the host does not read or write through it`,
    { details: { path } },
  );
}
