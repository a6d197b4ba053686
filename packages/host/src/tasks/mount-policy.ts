import { posix } from 'node:path';
import { KawaError, type Mount } from '@kawa/protocol';

/** The path's segments, after resolving `.`, `..` and repeated or trailing slashes. */
function segments(path: string): string[] {
  return posix
    .normalize(path)
    .split('/')
    .filter((part) => part !== '');
}

/**
 * Whether `path` is `root` or lies below it. Segments are compared, not strings, so `/data2`
 * is not under `/data`. This is lexical: symlinks are not followed (the path lives on the
 * task's node, which may not be this host).
 */
export function isPathWithin(path: string, root: string): boolean {
  const pathParts = segments(path);
  const rootParts = segments(root);
  return rootParts.length <= pathParts.length && rootParts.every((part, index) => pathParts[index] === part);
}

/** Refuses (403 MOUNT_NOT_ALLOWED) any mount whose host path is not within an allow-listed path. */
export function checkMountsAllowed(mounts: readonly Mount[], allowList: readonly string[]): void {
  for (const mount of mounts) {
    if (allowList.some((root) => isPathWithin(mount.source, root))) continue;
    const allowed =
      allowList.length === 0
        ? 'the host allows none (host.mount_allow_list is empty)'
        : `allowed: ${allowList.join(', ')}`;
    throw new KawaError(
      'KAWA_ERR_MOUNT_NOT_ALLOWED',
      `mount source ${mount.source} is not within host.mount_allow_list; ${allowed}`,
      { details: { source: mount.source, allowList } },
    );
  }
}
