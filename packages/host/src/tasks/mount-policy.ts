import { KawaError, type Mount } from '@kawa/protocol';
import { isPathWithin, realPathOf } from '../paths/contained.js';

export { isPathWithin };

/** The real path, or null when it cannot be resolved (a permission error): then nothing is allowed. */
function tryRealPath(path: string): string | null {
  try {
    return realPathOf(path);
  } catch {
    return null;
  }
}

/**
 * Whether `source` may be mounted under the allow-listed `root`: it must lie within root as
 * written, and also once symlinks are resolved on this host, so that an allow-listed dir with a
 * link to /etc inside cannot hand out /etc. Parts of the path that do not exist here are
 * compared as written (the path may only exist on the task's node).
 */
function allowedUnder(source: string, root: string): boolean {
  if (!isPathWithin(source, root)) return false;
  const realSource = tryRealPath(source);
  const realRoot = tryRealPath(root);
  return realSource !== null && realRoot !== null && isPathWithin(realSource, realRoot);
}

/** Refuses (403 MOUNT_NOT_ALLOWED) any mount whose host path is not within an allow-listed path. */
export function checkMountsAllowed(mounts: readonly Mount[], allowList: readonly string[]): void {
  for (const mount of mounts) {
    if (allowList.some((root) => allowedUnder(mount.source, root))) continue;
    const lexicallyAllowed = allowList.some((root) => isPathWithin(mount.source, root));
    const allowed =
      allowList.length === 0
        ? 'the host allows none (host.mount_allow_list is empty)'
        : `allowed: ${allowList.join(', ')}`;
    throw new KawaError(
      'KAWA_ERR_MOUNT_NOT_ALLOWED',
      lexicallyAllowed
        ? `mount source ${mount.source} leads outside host.mount_allow_list through a symlink (it is ${tryRealPath(mount.source) ?? 'unresolvable'}); ${allowed}`
        : `mount source ${mount.source} is not within host.mount_allow_list; ${allowed}`,
      { details: { source: mount.source, allowList } },
    );
  }
}
