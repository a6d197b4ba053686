import { stat } from 'node:fs/promises';
import type { Logger } from '../../../logger.js';
import { findExecutable } from '../../../util/find-executable.js';
import type { RunCommand } from '../../../util/run-command.js';
import { readCgroupMounts } from './cgroup-mounts.js';
import { createV1Driver } from './cgroup-v1.js';
import { createV2Driver } from './cgroup-v2.js';
import { createNoCgroupDriver } from './no-cgroup.js';
import { createSystemdDriver } from './systemd-scope.js';
import type { CgroupDriver } from './task-cgroup.js';

export interface DetectCgroupDriverOptions {
  /** Usually `/proc`; its self/mounts says where the hierarchies are. */
  procRoot: string;
  /** Usually `/run/systemd/system`: it exists exactly when systemd is PID 1. */
  systemdMarker: string;
  /** PATH to find systemd-run and systemctl in. */
  searchPath: string;
  parent: string;
  nodeName: string;
  run: RunCommand;
  logger: Logger;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Picks how tasks get their cgroups: systemd scopes where systemd is PID 1, else cgroup v1
 * when the cpu or memory controller is on a v1 hierarchy, else cgroup v2, else none.
 */
export async function detectCgroupDriver(options: DetectCgroupDriverOptions): Promise<CgroupDriver> {
  if (await isDirectory(options.systemdMarker)) {
    const [systemdRun, systemctl] = await Promise.all([
      findExecutable('systemd-run', options.searchPath, '/'),
      findExecutable('systemctl', options.searchPath, '/'),
    ]);
    if ('path' in systemdRun && 'path' in systemctl) {
      return createSystemdDriver({ systemdRunPath: systemdRun.path, systemctlPath: systemctl.path, run: options.run });
    }
    options.logger.warn('systemd is PID 1 but systemd-run or systemctl is missing; writing cgroups directly');
  }
  const mounts = await readCgroupMounts(options.procRoot);
  const reasons: string[] = [];
  if (mounts.v1.cpu !== undefined || mounts.v1.memory !== undefined) {
    const driver = await createV1Driver({
      mounts: mounts.v1,
      parent: options.parent,
      nodeName: options.nodeName,
      logger: options.logger,
    });
    if (!('unavailable' in driver)) return driver;
    reasons.push(driver.unavailable);
  }
  if (mounts.v2 !== null && reasons.length === 0) {
    const driver = await createV2Driver({
      root: mounts.v2,
      parent: options.parent,
      nodeName: options.nodeName,
      logger: options.logger,
    });
    if (!('unavailable' in driver)) return driver;
    reasons.push(driver.unavailable);
  }
  return createNoCgroupDriver(reasons.join('; ') || 'no cgroup filesystem is mounted');
}
