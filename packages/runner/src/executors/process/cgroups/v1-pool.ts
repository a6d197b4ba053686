import { randomBytes } from 'node:crypto';
import { renameSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { countProcsSync } from './cgroup-files.js';

/** Free cgroup sets kept per combination of hierarchies; more are removed as usual. */
const MAX_FREE_PER_KIND = 64;

/**
 * Free cgroups wait as `free-<pool>-<n>`: never `task-<id>`, so no sweep or stale handle takes
 * one for a task, and named by their pool, so no other runner's pool (an earlier run's) collides.
 */
export const isFreeCgroupName = (name: string): boolean => /^free-[0-9a-f]+-\d+$/.test(name);

/**
 * Task cgroups (cgroup v1) kept for later tasks instead of made and removed for each one.
 *
 * A mkdir and an rmdir per hierarchy cost the kernel far more than renaming a dir (the css of
 * every controller is allocated, then torn down through RCU and a workqueue), and they went
 * through the thread pool. A pooled cgroup waits as `free-<pool>-<n>` and is renamed to `task-<id>`
 * for its next task, so paths, records, sweeps and /proc/<pid>/cgroup name tasks as before, and
 * a handle kept from the previous task (its `task-<id>` path) can no longer reach the new one.
 *
 * Every call is synchronous: cgroupfs lives in kernel memory, so each of these syscalls takes a
 * few microseconds, less than one round trip through libuv's thread pool.
 */
export interface V1CgroupPool {
  /**
   * Renames one free set made for the same hierarchies to `dirs` (one `task-<id>` dir per
   * hierarchy). False when none is free or a rename failed: the caller makes the dirs.
   */
  take(dirs: readonly string[]): boolean;
  /**
   * Keeps a task's dirs for a later task: only if every one holds no process at all, and after
   * `reset` has put back what a task may have changed. False when it kept nothing: the caller
   * removes the dirs as usual.
   */
  give(dirs: readonly string[], reset: () => void): boolean;
  /** Whether `dir` is one of the free dirs this pool holds. */
  holds(dir: string): boolean;
  /** Removes the free dirs; give() keeps nothing from then on. */
  drain(): void;
  /** Free sets held, for tests. */
  readonly size: number;
}

export function createV1CgroupPool(): V1CgroupPool {
  /** Free sets by their hierarchies (the parent dirs, joined); each set is one dir per hierarchy. */
  const free = new Map<string, string[][]>();
  const poolName = randomBytes(4).toString('hex');
  let nextSlot = 1;
  let drained = false;
  const kindOf = (dirs: readonly string[]): string => dirs.map((dir) => dirname(dir)).join('\n');

  /** Renames `from[i]` to `to[i]`; on a failure, puts back what it renamed and returns false. */
  function renameAll(from: readonly string[], to: readonly string[]): boolean {
    for (let index = 0; index < from.length; index += 1) {
      try {
        renameSync(from[index] as string, to[index] as string);
      } catch {
        for (let back = index - 1; back >= 0; back -= 1) {
          try {
            renameSync(to[back] as string, from[back] as string);
          } catch {
            // Left under the new name: the caller removes (or sweeps) what it can find.
          }
        }
        return false;
      }
    }
    return true;
  }

  const removeQuietly = (dirs: readonly string[]): void => {
    for (const dir of dirs) {
      try {
        rmdirSync(dir);
      } catch {
        // Already gone, or the sweep at the next start removes it.
      }
    }
  };

  return {
    take(dirs) {
      const set = free.get(kindOf(dirs))?.pop();
      if (set === undefined) return false;
      if (renameAll(set, dirs)) return true;
      // `task-<id>` exists already (a crashed runner left it) or the set is gone: drop the set.
      removeQuietly(set);
      return false;
    },

    give(dirs, reset) {
      const kind = kindOf(dirs);
      const sets = free.get(kind) ?? [];
      if (drained || sets.length >= MAX_FREE_PER_KIND) return false;
      // A process still inside (a leftover of the task, or one that joined it) must never
      // land in the next task: such a set is removed, killing what it holds.
      if (dirs.some((dir) => countProcsSync(dir) !== 0)) return false;
      try {
        reset();
      } catch {
        return false;
      }
      const slot = nextSlot++;
      const set = dirs.map((dir) => join(dirname(dir), `free-${poolName}-${slot}`));
      if (!renameAll(dirs, set)) return false;
      sets.push(set);
      free.set(kind, sets);
      return true;
    },

    holds(dir) {
      for (const sets of free.values()) if (sets.some((set) => set.includes(dir))) return true;
      return false;
    },

    drain() {
      drained = true;
      for (const sets of free.values()) for (const set of sets) removeQuietly(set);
      free.clear();
    },

    get size() {
      let count = 0;
      for (const sets of free.values()) count += sets.length;
      return count;
    },
  };
}
