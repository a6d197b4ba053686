import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskEventFrame, TaskSpec } from '@kawa/protocol';
import type { CgroupDriver } from '../executors/process/cgroups/task-cgroup.js';
import { detectCgroupDriver } from '../executors/process/cgroups/detect-driver.js';
import {
  createProcessExecutor,
  type ProcessExecutor,
  type ProcessExecutorOptions,
} from '../executors/process/process-executor.js';
import { baseEnvFrom } from '../executors/process/task-env.js';
import { createLogger } from '../logger.js';
import { openTaskTable, type TaskTable } from '../state/task-table.js';
import { execFileCommand } from '../util/run-command.js';
import { waitForTaskEvent } from './task-events.js';

/** The cgroup parent unit tests use, apart from the e2e tests' `kawa`. */
export const TEST_CGROUP_PARENT = 'kawa-unit';

export function taskSpec(id: number, command: string[], overrides: Partial<TaskSpec> = {}): TaskSpec {
  return {
    id,
    kind: 'command',
    publicKey: null,
    batchId: 500 + id,
    command,
    env: {},
    workdir: null,
    container: null,
    image: null,
    mounts: [],
    privileged: false,
    cores: 0,
    memoryBytes: null,
    numa: null,
    gpus: [],
    privateNetwork: false,
    privatePid: false,
    ...overrides,
  };
}

export interface ExecutorHarness {
  executor: ProcessExecutor;
  events: TaskEventFrame[];
  nodeName: string;
  root: string;
  sharedDir: string;
  table: TaskTable;
  cgroups: CgroupDriver;
  /** Waits for a task's event with one of `statuses`. */
  event(taskId: number, statuses: TaskEventFrame['status'][], timeoutMs?: number): Promise<TaskEventFrame>;
  close(): Promise<void>;
}

/** A real executor on real cgroups, with its dirs in a temp dir and a unique node name. */
export async function startExecutorHarness(
  overrides: Partial<ProcessExecutorOptions> & { cgroups?: CgroupDriver } = {},
): Promise<ExecutorHarness> {
  const root = await mkdtemp(join(tmpdir(), 'kawa-exec-'));
  const sharedDir = join(root, 'shared');
  await mkdir(join(sharedDir, 'data'), { recursive: true });
  const nodeName = `unit-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logger = createLogger('silent');
  const table = await openTaskTable(join(root, 'state'));
  const cgroups =
    overrides.cgroups ??
    (await detectCgroupDriver({
      procRoot: '/proc',
      systemdMarker: '/run/systemd/system',
      searchPath: process.env.PATH ?? '/usr/bin:/bin',
      parent: TEST_CGROUP_PARENT,
      nodeName,
      run: execFileCommand(),
      logger,
    }));
  const events: TaskEventFrame[] = [];
  const executor = createProcessExecutor({
    nodeName,
    sharedDir,
    localTempDir: join(root, 'local-temp'),
    numactlPath: 'numactl',
    numaZones: [0],
    baseEnv: baseEnvFrom(process.env),
    cgroups,
    table,
    logger,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return {
    executor,
    events,
    nodeName,
    root,
    sharedDir,
    table,
    cgroups,
    event: (taskId, statuses, timeoutMs = 10_000) => waitForTaskEvent(events, taskId, statuses, timeoutMs),
    async close() {
      await executor.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
