import { isKawaError, type RunnerReportedStatus, type TaskEventFrame } from '@kawa/protocol';
import type { Logger } from '../../logger.js';
import type { TaskRecord } from '../../state/task-record.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errno.js';
import type { FinalOutcome } from '../process/exit-status.js';
import { taskLabels } from './container-options.js';
import type { ContainerSummary, DockerEngine, OutputAttachment } from './docker-engine.js';
import { newDockerTask, type DockerTask } from './docker-task.js';
import { finishWriting, loggedBytes, SkipBytes } from './log-resume.js';
import { taskEventFrame, type EventDetails } from './task-event.js';
import { openTaskLogs, type TaskLogFiles } from './task-logs.js';
import type { DockerTaskRecords } from './task-records.js';
import type { VpsExecutor } from './vps-executor.js';

/** What adoption needs of the Docker executor it works for. */
export interface DockerAdoptionDeps {
  nodeName: string;
  sharedDir: string;
  engine: DockerEngine;
  logger: Logger;
  clock: Clock;
  records: DockerTaskRecords;
  vps: VpsExecutor;
  /** The executor's live command tasks: an adopted one joins them. */
  live: Map<number, DockerTask>;
  onEvent: (event: TaskEventFrame) => void;
  /** Follows a started container to its end and reports it, as for a task started here. */
  follow: (task: DockerTask, id: string, logs: TaskLogFiles, attachment: OutputAttachment) => void;
  /** Reports a task's final state once and forgets it. */
  finish: (task: DockerTask, outcome: FinalOutcome) => void;
}

/**
 * The Docker half of a runner restart: takes over the containers of the tasks the previous run
 * recorded, reports what ended meanwhile, and removes this node's containers no record names.
 */
export function createDockerAdoption(deps: DockerAdoptionDeps): (found: readonly TaskRecord[]) => Promise<void> {
  const { engine, logger, clock, records, vps, live } = deps;

  /**
   * Takes a command task's container over from an earlier run of this runner: its log files go
   * on from where they end (the engine's log is read again and what the files hold is
   * skipped), and its exit is waited for and reported as for a task started here.
   */
  async function adoptContainer(record: TaskRecord, container: ContainerSummary): Promise<void> {
    const { spec } = record;
    const task = newDockerTask(spec);
    task.containerId = container.id;
    task.startedAt = record.startedAt;
    task.status = container.state === 'paused' ? 'paused' : 'running';
    live.set(spec.id, task);
    let logs: TaskLogFiles | null = null;
    try {
      const offsets = await loggedBytes(deps.sharedDir, spec.id);
      logs = await openTaskLogs(deps.sharedDir, spec.id, (stream, error) =>
        logger.warn(`task ${spec.id}: writing ${stream}.log failed, so the log is cut short: ${error.message}`),
      );
      const stdout = new SkipBytes(logs.stdout, offsets.stdout);
      const stderr = new SkipBytes(logs.stderr, offsets.stderr);
      const following = await engine.followLogs(container.id, stdout, stderr);
      const attachment: OutputAttachment = {
        ended: following.ended.then(() => Promise.all([finishWriting(stdout), finishWriting(stderr)])).then(() => {}),
        detach: () => following.detach(),
      };
      logger.info(`adopted task ${spec.id} (container ${container.id.slice(0, 12)}, ${container.state})`);
      deps.follow(task, container.id, logs, attachment);
    } catch (error) {
      await logs?.close();
      deps.finish(task, {
        status: 'failed',
        exitCode: null,
        message: `node ${deps.nodeName} could not adopt the task's container after a runner restart: ${errorMessage(error)}`,
        errorCode: isKawaError(error) ? error.code : 'KAWA_ERR_DOCKER_FAILED',
      });
    }
  }

  /** Reports an adopted task's end that needs no container (it is gone, or ended before). */
  function reportAdopted(record: TaskRecord, status: RunnerReportedStatus, details: EventDetails, at = clock.now()) {
    deps.onEvent(taskEventFrame(record.spec.id, status, details, at));
  }

  async function adopt(found: readonly TaskRecord[]): Promise<void> {
    let containers: ContainerSummary[];
    try {
      containers = await engine.listContainers({ [taskLabels.node]: deps.nodeName });
    } catch (error) {
      if (found.length === 0) {
        logger.debug(`looking for containers left by a previous run: ${errorMessage(error)}`);
        return;
      }
      logger.error(`cannot adopt the Docker tasks of the previous run: ${errorMessage(error)}`);
      for (const record of found) {
        records.adopted(record.spec.id);
        if (record.final !== null) reportAdopted(record, record.status, record.final, record.final.at);
        else {
          reportAdopted(record, 'failed', {
            message: `node ${deps.nodeName} restarted and could not reach the Docker Engine to adopt the task: ${errorMessage(error)}`,
            errorCode: isKawaError(error) ? error.code : 'KAWA_ERR_DOCKER_UNAVAILABLE',
          });
        }
      }
      return;
    }
    const byTask = new Map<number, ContainerSummary>();
    for (const container of containers) {
      const taskId = Number(container.labels[taskLabels.taskId]);
      if (Number.isSafeInteger(taskId)) byTask.set(taskId, container);
    }
    const kept = new Set<string>();
    for (const record of found) {
      const { spec } = record;
      records.adopted(spec.id);
      if (live.has(spec.id) || vps.lookup(spec.id) !== null) continue;
      if (record.final !== null) {
        // It ended, and the runner went before the host had the final event.
        reportAdopted(record, record.status, record.final, record.final.at);
        continue;
      }
      const container = byTask.get(spec.id);
      if (spec.kind === 'vps') {
        if (container !== undefined && ['running', 'restarting', 'paused'].includes(container.state)) {
          kept.add(container.id);
          vps.adopt(record, container);
        } else {
          reportAdopted(record, 'stopped', {
            message: `${container === undefined ? 'the container is gone' : `the container is ${container.state}`} after a runner restart; restart the VPS to recreate it`,
          });
        }
        continue;
      }
      if (container === undefined) {
        reportAdopted(record, 'failed', {
          message: `the task's container was removed while the runner on node ${deps.nodeName} was down; its exit code is unknown`,
          errorCode: 'KAWA_ERR_DOCKER_FAILED',
        });
        continue;
      }
      kept.add(container.id);
      await adoptContainer(record, container);
    }
    // Containers of this node that no record names: left by a crash between create and record,
    // or by tasks whose end was reported. Only this node's label: other clusters share the engine.
    // A task started since the list was taken is not one of them, whatever its container.
    const started = (container: ContainerSummary): boolean => {
      const taskId = Number(container.labels[taskLabels.taskId]);
      return live.has(taskId) || vps.lookup(taskId) !== null;
    };
    const orphans = containers.filter((container) => !kept.has(container.id) && !started(container));
    for (const orphan of orphans) {
      logger.warn(
        `removing container ${orphan.name || orphan.id.slice(0, 12)}: node ${deps.nodeName} no longer knows it`,
      );
      await engine
        .removeContainer(orphan.id)
        .catch((error: unknown) =>
          logger.warn(`cannot remove container ${orphan.id.slice(0, 12)}: ${errorMessage(error)}`),
        );
    }
  }

  return adopt;
}
