import { ErrorCodeSchema, RunnerReportedStatusSchema, TaskSpecSchema } from '@kawa/protocol';
import { z } from 'zod';

/** How a task's cgroups were made; a later adoption needs to know which files to read. */
export const CgroupDriverKindSchema = z.enum(['v1', 'v2', 'systemd', 'none']);
export type CgroupDriverKind = z.infer<typeof CgroupDriverKindSchema>;

/**
 * One task in the runner's local table, as written to `<state_dir>/tasks/<id>.json`. It
 * outlives the runner process so that a restarted runner can find (and later adopt) its tasks.
 */
export const TaskRecordSchema = z.object({
  version: z.literal(1),
  spec: TaskSpecSchema,
  status: RunnerReportedStatusSchema,
  pid: z.number().int().positive().nullable(),
  /** The task's process group: the runner spawns every task as a session leader. */
  pgid: z.number().int().positive().nullable(),
  cgroupDriver: CgroupDriverKindSchema,
  /** Every cgroup dir the task was put in, one per mounted hierarchy. */
  cgroupDirs: z.array(z.string()),
  /** The transient scope, when systemd made the cgroup. */
  systemdUnit: z.string().nullable(),
  startedAt: z.number().int().nullable(),
  /**
   * The start time of the task's process (field 22 of /proc/<pid>/stat), so that a restarted
   * runner does not take a process that reused the pid for the task.
   */
  pidStartTime: z.string().nullable().default(null),
  /** How a paused task was paused: an adopted one is resumed the same way. */
  pausedWith: z.enum(['freezer', 'signal']).nullable().default(null),
  /** The final event, kept until the host has received it. */
  final: z
    .object({
      exitCode: z.number().int().nullable(),
      message: z.string().nullable(),
      errorCode: ErrorCodeSchema.nullable(),
      at: z.number().int(),
    })
    .nullable(),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;
