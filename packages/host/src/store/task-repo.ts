import type { Database, Statement } from 'better-sqlite3';
import {
  finalStatuses,
  type ListTasksQuery,
  type Mount,
  type SyncProgress,
  type Target,
  type Task,
  type TaskEvent,
  type TaskKind,
  type TaskStatus,
} from '@kawa/protocol';
import {
  decodeIntArray,
  decodeKind,
  decodeMounts,
  decodeStatus,
  decodeStringArray,
  decodeStringRecord,
  decodeSyncProgress,
  decodeTarget,
} from './columns.js';

/** What a submit stores for one task, before it has an id. */
export interface NewTask {
  kind: TaskKind;
  /** A VPS's public key (authorized_keys); null for command tasks. */
  publicKey: string | null;
  owner: string;
  command: string[];
  env: Record<string, string>;
  workdir: string | null;
  container: string | null;
  image: string | null;
  mounts: Mount[];
  privileged: boolean;
  cores: number;
  memoryBytes: number | null;
  target: Target | null;
  privateNetwork: boolean;
  privatePid: boolean;
  priority: number;
  gpuCount: number;
  numaAuto: boolean;
  maxParallel: number | null;
  retry: number;
  retryOnFail: boolean;
}

/** One state change, applied only if the task is still as the caller's copy shows it. */
export interface StatusChange {
  to: TaskStatus;
  at: number;
  reason: string | null;
  exitCode: number | null;
  /** Where the scheduler placed the task; only for `pending → assigned`. */
  placement?: { node: string; numa: number | null; gpus: number[] };
}

/** A change's new state: status, reason, exit code, started at, ended at. */
type NewState = [TaskStatus, string | null, number | null, number | null, number | null];
/** The same with a new placement: status, reason, exit code, node, numa, gpus, started, ended. */
type NewPlacement = [
  TaskStatus,
  string | null,
  number | null,
  string | null,
  number | null,
  string,
  number | null,
  number | null,
];
/** What the row must still hold: id, status, node, numa, gpus, started at. */
type Guard = [number, TaskStatus, string | null, number | null, string, number | null];

export interface TaskPage {
  tasks: Task[];
  nextBefore: number | null;
  total: number;
}

interface TaskRow {
  id: number;
  kind: string;
  public_key: string | null;
  batch_id: number;
  owner: string;
  command: string;
  env: string;
  workdir: string | null;
  container: string | null;
  image: string | null;
  mounts: string;
  privileged: number;
  sync_progress: string | null;
  cores: number;
  memory_bytes: number | null;
  target: string | null;
  node: string | null;
  numa: number | null;
  gpus: string;
  private_network: number;
  private_pid: number;
  priority: number;
  gpu_count: number;
  numa_auto: number;
  max_parallel: number | null;
  retry: number;
  retry_on_fail: number;
  attempt: number;
  retry_of: number | null;
  status: string;
  reason: string | null;
  exit_code: number | null;
  submitted_at: number;
  started_at: number | null;
  ended_at: number | null;
}

interface EventRow {
  task_id: number;
  at: number;
  from_status: string | null;
  to_status: string;
  message: string | null;
}

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    kind: decodeKind(row.kind),
    publicKey: row.public_key,
    batchId: row.batch_id,
    owner: row.owner,
    command: decodeStringArray(row.command, 'tasks.command'),
    env: decodeStringRecord(row.env, 'tasks.env'),
    workdir: row.workdir,
    container: row.container,
    image: row.image,
    mounts: decodeMounts(row.mounts),
    privileged: row.privileged !== 0,
    cores: row.cores,
    memoryBytes: row.memory_bytes,
    target: row.target === null ? null : decodeTarget(row.target),
    node: row.node,
    numa: row.numa,
    gpus: decodeIntArray(row.gpus, 'tasks.gpus'),
    privateNetwork: row.private_network !== 0,
    privatePid: row.private_pid !== 0,
    priority: row.priority,
    gpuCount: row.gpu_count,
    numaAuto: row.numa_auto !== 0,
    maxParallel: row.max_parallel,
    retry: row.retry,
    retryOnFail: row.retry_on_fail !== 0,
    attempt: row.attempt,
    status: decodeStatus(row.status),
    reason: row.reason,
    exitCode: row.exit_code,
    syncProgress: row.sync_progress === null ? null : decodeSyncProgress(row.sync_progress),
    submittedAt: row.submitted_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

function toEvent(row: EventRow): TaskEvent {
  return {
    taskId: row.task_id,
    at: row.at,
    from: row.from_status === null ? null : decodeStatus(row.from_status),
    to: decodeStatus(row.to_status),
    message: row.message,
  };
}

const FINAL_SQL_LIST = `(${[...finalStatuses].map((status) => `'${status}'`).join(', ')})`;

/** Tasks, batches and task events. Every method maps rows to protocol types before returning. */
export class TaskRepo {
  private readonly insertBatchStatement: Statement<[string, number]>;
  private readonly insertTaskStatement: Statement<Record<string, unknown>>;
  private readonly insertEventStatement: Statement<[number, number, string | null, string, string | null]>;
  private readonly getStatement: Statement<[number], TaskRow>;
  private readonly getManyStatement: Statement<[string], TaskRow>;
  private readonly eventsStatement: Statement<[number], EventRow>;
  private readonly changeStatement: Statement<[...NewPlacement, ...Guard]>;
  private readonly keepPlacementStatement: Statement<[...NewState, ...Guard]>;
  private readonly byStatusStatement: Statement<[string], TaskRow>;
  private readonly liveOnNodeStatement: Statement<[string], TaskRow>;
  private readonly syncProgressStatement: Statement<[string, number, string]>;
  private readonly retryOfStatement: Statement<[number], TaskRow>;
  private readonly batchStatement: Statement<[number], { id: number }>;
  private readonly liveInBatchStatement: Statement<[number], TaskRow>;
  private readonly liveVpsStatement: Statement<[], TaskRow>;
  private readonly batchOwnerStatement: Statement<[number], { owner: string }>;
  private readonly listStatements = new Map<string, Statement<unknown[], TaskRow>>();
  private readonly countStatements = new Map<string, Statement<unknown[], { total: number }>>();

  constructor(private readonly db: Database) {
    this.insertBatchStatement = db.prepare('INSERT INTO batches (owner, submitted_at) VALUES (?, ?)');
    this.insertTaskStatement = db.prepare(`
      INSERT INTO tasks (kind, public_key, batch_id, owner, command, env, workdir, container, image, mounts, privileged, cores,
                         memory_bytes, target, private_network, private_pid, priority, gpu_count, numa_auto,
                         max_parallel, retry, retry_on_fail, attempt, retry_of, status, reason, submitted_at)
      VALUES (@kind, @publicKey, @batchId, @owner, @command, @env, @workdir, @container, @image, @mounts, @privileged, @cores,
              @memoryBytes, @target, @privateNetwork, @privatePid, @priority, @gpuCount, @numaAuto,
              @maxParallel, @retry, @retryOnFail, @attempt, @retryOf, 'pending', @reason, @at)`);
    this.insertEventStatement = db.prepare(
      'INSERT INTO task_events (task_id, at, from_status, to_status, message) VALUES (?, ?, ?, ?, ?)',
    );
    this.getStatement = db.prepare('SELECT * FROM tasks WHERE id = ?');
    this.getManyStatement = db.prepare('SELECT * FROM tasks WHERE id IN (SELECT value FROM json_each(?))');
    this.eventsStatement = db.prepare('SELECT * FROM task_events WHERE task_id = ? ORDER BY id');
    // The caller works out the whole new state from its copy of the task (`changeStatus`); the
    // statement writes it only if the row still holds what the copy shows in every column a
    // change carries over. That makes a stale copy fail instead of writing from wrong values,
    // and spares reading the row back (RETURNING costs more than the update).
    const guard = 'WHERE id = ? AND status = ? AND node IS ? AND numa IS ? AND gpus = ? AND started_at IS ?';
    this.changeStatement = db.prepare(`
      UPDATE tasks SET
        status = ?, reason = ?, exit_code = ?, node = ?, numa = ?, gpus = ?, started_at = ?, ended_at = ?,
        -- Progress describes the current sync only: any state change ends it.
        sync_progress = NULL
      ${guard}`);
    // Most changes keep the placement: leaving node out of SET spares its index an update.
    this.keepPlacementStatement = db.prepare(`
      UPDATE tasks SET status = ?, reason = ?, exit_code = ?, started_at = ?, ended_at = ?, sync_progress = NULL
      ${guard}`);
    this.byStatusStatement = db.prepare('SELECT * FROM tasks WHERE status = ? ORDER BY id');
    this.liveOnNodeStatement = db.prepare(
      `SELECT * FROM tasks WHERE node = ? AND status NOT IN ${FINAL_SQL_LIST} ORDER BY id`,
    );
    this.syncProgressStatement = db.prepare(
      `UPDATE tasks SET sync_progress = ? WHERE id = ? AND node = ? AND status = 'syncing'`,
    );
    this.retryOfStatement = db.prepare('SELECT * FROM tasks WHERE retry_of = ?');
    this.batchStatement = db.prepare('SELECT id FROM batches WHERE id = ?');
    this.liveInBatchStatement = db.prepare(
      `SELECT * FROM tasks WHERE batch_id = ? AND status NOT IN ${FINAL_SQL_LIST} ORDER BY id`,
    );
    this.batchOwnerStatement = db.prepare('SELECT owner FROM batches WHERE id = ?');
    this.liveVpsStatement = db.prepare(
      `SELECT * FROM tasks WHERE kind = 'vps' AND status NOT IN ${FINAL_SQL_LIST} ORDER BY id DESC`,
    );
  }

  /** Inserts a batch and its tasks (all `pending`) in one transaction; returns them once committed. */
  insertBatch(
    owner: string,
    tasks: readonly NewTask[],
    at: number,
    reason: string,
  ): { batchId: number; tasks: Task[] } {
    return this.db.transaction(() => {
      const batchId = Number(this.insertBatchStatement.run(owner, at).lastInsertRowid);
      const inserted = tasks.map((task) => this.insertRow(batchId, task, { attempt: 1, retryOf: null }, at, reason));
      return { batchId, tasks: inserted };
    })();
  }

  /**
   * Requeues a task that ended (lost, or failed with retryOnFail) as a new `pending` task: same
   * batch and request, the next attempt, linked to `previous` by `retry_of`. The previous task
   * gets an event saying where its retry went; its own state never changes.
   */
  insertRetry(previous: Task, at: number, reason: string): Task {
    return this.db.transaction(() => {
      // A Task carries every field of the request it was made from; its placement is not copied.
      const retry = this.insertRow(
        previous.batchId,
        previous,
        { attempt: previous.attempt + 1, retryOf: previous.id },
        at,
        reason,
      );
      this.insertEventStatement.run(
        previous.id,
        at,
        previous.status,
        previous.status,
        `retried as task ${retry.id} (attempt ${retry.attempt} of ${previous.retry + 1})`,
      );
      return retry;
    })();
  }

  private insertRow(
    batchId: number,
    task: NewTask,
    attempt: { attempt: number; retryOf: number | null },
    at: number,
    reason: string,
  ): Task {
    const id = Number(
      this.insertTaskStatement.run({
        kind: task.kind,
        publicKey: task.publicKey,
        batchId,
        owner: task.owner,
        command: JSON.stringify(task.command),
        env: JSON.stringify(task.env),
        workdir: task.workdir,
        container: task.container,
        image: task.image,
        mounts: JSON.stringify(task.mounts),
        privileged: task.privileged ? 1 : 0,
        cores: task.cores,
        memoryBytes: task.memoryBytes,
        target: task.target === null ? null : JSON.stringify(task.target),
        privateNetwork: task.privateNetwork ? 1 : 0,
        privatePid: task.privatePid ? 1 : 0,
        priority: task.priority,
        gpuCount: task.gpuCount,
        numaAuto: task.numaAuto ? 1 : 0,
        maxParallel: task.maxParallel,
        retry: task.retry,
        retryOnFail: task.retryOnFail ? 1 : 0,
        attempt: attempt.attempt,
        retryOf: attempt.retryOf,
        reason,
        at,
      }).lastInsertRowid,
    );
    this.insertEventStatement.run(id, at, null, 'pending', reason);
    // The task is built from what was written, not read back: reading a whole row costs more
    // than writing it. Tasks are values nobody changes, so sharing the request's arrays is safe.
    // store.test.ts checks that it equals what `get` reads.
    return {
      id,
      kind: task.kind,
      publicKey: task.publicKey,
      batchId,
      owner: task.owner,
      command: task.command,
      env: task.env,
      workdir: task.workdir,
      container: task.container,
      image: task.image,
      mounts: task.mounts,
      privileged: task.privileged,
      cores: task.cores,
      memoryBytes: task.memoryBytes,
      target: task.target,
      node: null,
      numa: null,
      gpus: [],
      privateNetwork: task.privateNetwork,
      privatePid: task.privatePid,
      priority: task.priority,
      gpuCount: task.gpuCount,
      numaAuto: task.numaAuto,
      maxParallel: task.maxParallel,
      retry: task.retry,
      retryOnFail: task.retryOnFail,
      attempt: attempt.attempt,
      status: 'pending',
      reason,
      exitCode: null,
      syncProgress: null,
      submittedAt: at,
      startedAt: null,
      endedAt: null,
    };
  }

  /** The task that retries `id`, if it was retried. */
  retryOf(id: number): Task | null {
    const row = this.retryOfStatement.get(id);
    return row ? toTask(row) : null;
  }

  batchExists(batchId: number): boolean {
    return this.batchStatement.get(batchId) !== undefined;
  }

  /** The tasks of a batch that are not in a final state, in id order. */
  liveInBatch(batchId: number): Task[] {
    return this.liveInBatchStatement.all(batchId).map(toTask);
  }

  /** VPS tasks that are not final (stopped ones included), newest first; of one owner if given. */
  liveVps(owner?: string): Task[] {
    const tasks = this.liveVpsStatement.all().map(toTask);
    return owner === undefined ? tasks : tasks.filter((task) => task.owner === owner);
  }

  /** Who submitted a batch, or null when there is no such batch. */
  batchOwner(batchId: number): string | null {
    return this.batchOwnerStatement.get(batchId)?.owner ?? null;
  }

  /** The stored tasks among `ids`, in one statement (a pass's placements); absent ids are left out. */
  getMany(ids: readonly number[]): Map<number, Task> {
    const found = new Map<number, Task>();
    for (const row of this.getManyStatement.all(JSON.stringify(ids))) found.set(row.id, toTask(row));
    return found;
  }

  get(id: number): Task | null {
    const row = this.getStatement.get(id);
    return row ? toTask(row) : null;
  }

  /** Records an event that changes nothing: the task stays in `status`. */
  note(id: number, at: number, status: TaskStatus, message: string): void {
    this.insertEventStatement.run(id, at, status, status, message);
  }

  events(id: number): TaskEvent[] {
    return this.eventsStatement.all(id).map(toEvent);
  }

  /**
   * Applies one state change to `task` and records its event, atomically. `task` is the task as
   * the caller has it; the change applies only if the row still matches it (state, placement,
   * start time), and returns the task as now stored. Null when the row no longer matches:
   * nothing is written then.
   */
  changeStatus(task: Task, change: StatusChange): Task | null {
    // Back to pending (placed but never delivered): the placement no longer holds.
    const requeued = change.to === 'pending';
    const keepsPlacement = !requeued && change.placement === undefined;
    const node = requeued ? null : (change.placement?.node ?? task.node);
    const numa = requeued ? null : change.placement ? change.placement.numa : task.numa;
    const gpus = requeued ? [] : (change.placement?.gpus ?? task.gpus);
    const startedAt = task.startedAt ?? (change.to === 'running' ? change.at : null);
    const endedAt = finalStatuses.has(change.to) ? change.at : null;
    const guard: Guard = [task.id, task.status, task.node, task.numa, JSON.stringify(task.gpus), task.startedAt];
    return this.atomically(() => {
      const written = keepsPlacement
        ? this.keepPlacementStatement.run(change.to, change.reason, change.exitCode, startedAt, endedAt, ...guard)
        : this.changeStatement.run(
            change.to,
            change.reason,
            change.exitCode,
            node,
            numa,
            JSON.stringify(gpus),
            startedAt,
            endedAt,
            ...guard,
          );
      if (written.changes === 0) return null;
      this.insertEventStatement.run(task.id, change.at, task.status, change.to, change.reason);
      return {
        ...task,
        status: change.to,
        reason: change.reason,
        exitCode: change.exitCode,
        node,
        numa,
        gpus,
        syncProgress: null,
        startedAt,
        endedAt,
      };
    });
  }

  /**
   * Runs `body` atomically. Inside a caller's transaction it is already atomic with it: an
   * error rolls the caller's transaction back (no caller catches and commits), so a savepoint
   * per state change, which costs more than the change, buys nothing.
   */
  private atomically<T>(body: () => T): T {
    return this.db.inTransaction ? body() : this.db.transaction(body)();
  }

  /**
   * Records how far `node` has got syncing task `id`. Only a task that is `syncing` on that
   * node takes it (the check and the write are one statement); returns whether it did.
   */
  setSyncProgress(id: number, node: string, progress: SyncProgress): boolean {
    return this.syncProgressStatement.run(JSON.stringify(progress), id, node).changes > 0;
  }

  /** Runs `body` in one transaction (nested calls become savepoints). */
  transaction<T>(body: () => T): T {
    return this.db.transaction(body)();
  }

  withStatus(status: TaskStatus): Task[] {
    return this.byStatusStatement.all(status).map(toTask);
  }

  /** Tasks placed on `node` that are not in a final state. */
  liveOnNode(node: string): Task[] {
    return this.liveOnNodeStatement.all(node).map(toTask);
  }

  /**
   * Newest first, keyset-paged on id; `total` counts every match regardless of paging. With
   * `owner`, only that user's tasks (what a non-admin may see).
   */
  list(query: ListTasksQuery, owner?: string): TaskPage {
    const conditions: string[] = [];
    const values: unknown[] = [];
    if (owner !== undefined) {
      conditions.push('owner = ?');
      values.push(owner);
    }
    if (query.status !== undefined) {
      conditions.push('status IN (SELECT value FROM json_each(?))');
      values.push(JSON.stringify(query.status));
    }
    if (query.node !== undefined) {
      conditions.push('node = ?');
      values.push(query.node);
    }
    if (query.batch !== undefined) {
      conditions.push('batch_id = ?');
      values.push(query.batch);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const total = this.countStatement(where).get(...values)?.total ?? 0;

    const pageConditions = query.before === undefined ? conditions : [...conditions, 'id < ?'];
    const pageValues = query.before === undefined ? values : [...values, query.before];
    const pageWhere = pageConditions.length === 0 ? '' : `WHERE ${pageConditions.join(' AND ')}`;
    const rows = this.listStatement(pageWhere).all(...pageValues, query.limit + 1);
    const more = rows.length > query.limit;
    const tasks = rows.slice(0, query.limit).map(toTask);
    return { tasks, nextBefore: more ? (tasks.at(-1)?.id ?? null) : null, total };
  }

  private listStatement(where: string): Statement<unknown[], TaskRow> {
    let statement = this.listStatements.get(where);
    if (!statement) {
      statement = this.db.prepare<unknown[], TaskRow>(`SELECT * FROM tasks ${where} ORDER BY id DESC LIMIT ?`);
      this.listStatements.set(where, statement);
    }
    return statement;
  }

  private countStatement(where: string): Statement<unknown[], { total: number }> {
    let statement = this.countStatements.get(where);
    if (!statement) {
      statement = this.db.prepare<unknown[], { total: number }>(`SELECT COUNT(*) AS total FROM tasks ${where}`);
      this.countStatements.set(where, statement);
    }
    return statement;
  }
}
