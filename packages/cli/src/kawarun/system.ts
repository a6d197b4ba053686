import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { MODULE_PROBE } from './python.js';
import type { TargetSystem } from './target.js';

/** Long enough for a slow first import of a package's parents; a probe that hangs is a "no". */
const PROBE_TIMEOUT_MS = 30_000;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The real machine: the file system, PATH from `env`, and `python -c MODULE_PROBE` for imports. */
export function nodeTargetSystem(cwd: string, env: Readonly<Record<string, string | undefined>>): TargetSystem {
  return {
    cwd,
    path: env.PATH ?? '',
    isFile,
    isExecutableFile(path) {
      if (!isFile(path)) return false;
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    canImport(python, module) {
      return new Promise((resolve) => {
        execFile(python, ['-c', MODULE_PROBE, module], { cwd, env, timeout: PROBE_TIMEOUT_MS }, (error) =>
          resolve(error === null),
        );
      });
    },
  };
}
