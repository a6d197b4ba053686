import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../logger.js';
import type { ProcessExit, SpawnedProcess, Spawner, SpawnRequest } from './spawner.js';

/**
 * A task that ran this long gets its exit status written to its exit file, because the runner
 * may have written its record (after RECORD_DELAY_MS, 200 ms) and crashed since. Shorter ones
 * only get one when the runner is gone: most tasks end without a file write.
 */
const EXIT_FILE_AFTER_MS = 100;
/** How long close() waits for the helper to leave. */
const CLOSE_WAIT_MS = 2000;

/**
 * The helper's program, plain JavaScript so that it runs from source and from dist alike.
 * It makes the request's dirs, opens the log files, spawns as nodeSpawner does, and reports the pid (with its start time,
 * which costs it one synchronous read and the runner nothing) and later the exit.
 * Its synchronous mkdirs and opens block only itself. It runs in its own session and ignores SIGINT and
 * SIGTERM, so that a Ctrl-C or a service stop reaches the runner, which kills and reports its
 * tasks, instead of taking their exit statuses away. When the runner goes (a crash), the
 * helper stays until its last task has ended: it is their parent, the only process that can
 * learn their exit status, and it writes each one to the task's exit file in the state dir,
 * where a restarted runner reads it (see adopted-exit.ts).
 */
const HELPER_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
const { openSync, closeSync, mkdirSync, readFileSync, writeFileSync, renameSync } = require('node:fs');
const send = (message) => { if (process.connected) process.send(message); };
let children = 0;
let orphaned = false;
process.on('disconnect', () => { orphaned = true; if (children === 0) process.exit(0); });
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
// The runner's stderr may be a pipe nobody reads any more (it crashed): that must not end the helper.
process.stderr.on('error', () => {});
// The start time from /proc/<pid>/stat (see proc-stat.ts), read while this process has not
// reaped the child yet, so the pid surely names it.
const startTimeOf = (pid) => {
  try {
    const text = readFileSync('/proc/' + pid + '/stat', 'utf8');
    const startTime = text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
    return startTime !== undefined && /^\\d+$/.test(startTime) ? startTime : null;
  } catch {
    return null;
  }
};
process.on('message', (request) => {
  const fds = [];
  let child;
  try {
    for (const dir of request.dirs ?? []) mkdirSync(dir, { recursive: true });
    fds.push(openSync(request.stdoutPath, 'w', 0o644));
    fds.push(openSync(request.stderrPath, 'w', 0o644));
    child = spawn(request.file, request.args, { cwd: request.cwd, env: request.env, detached: true, stdio: ['ignore', fds[0], fds[1]] });
  } catch (error) {
    send({ id: request.id, error: { code: error.code ?? null, message: String(error.message) } });
    return;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  if (child.pid === undefined) {
    child.once('error', (error) => send({ id: request.id, error: { code: error.code ?? null, message: String(error.message) } }));
    return;
  }
  child.on('error', () => {});
  children += 1;
  const startedAt = Date.now();
  child.once('exit', (code, signal) => {
    children -= 1;
    let exitFile = false;
    if (request.exitPath && (orphaned || !process.connected || Date.now() - startedAt >= ${EXIT_FILE_AFTER_MS})) {
      try {
        writeFileSync(request.exitPath + '.tmp', JSON.stringify({ code, signal }));
        renameSync(request.exitPath + '.tmp', request.exitPath);
        exitFile = true;
      } catch {}
    }
    send({ id: request.id, exit: exitFile ? { code, signal, exitFile } : { code, signal } });
    if (orphaned && children === 0) process.exit(0);
  });
  send({ id: request.id, pid: child.pid, startTime: startTimeOf(child.pid) });
});
`;

type HelperReply =
  | { id: number; pid: number; startTime: string | null }
  | { id: number; exit: ProcessExit }
  | { id: number; error: { code: string | null; message: string } };

interface Pending {
  started: { resolve: (process: SpawnedProcess) => void; reject: (error: Error) => void } | null;
  resolveExit: (exit: ProcessExit) => void;
  exited: Promise<ProcessExit>;
}

/**
 * Spawns tasks through a small helper process. Node's spawn forks the calling process and
 * waits for the child's exec: from the runner (which under `kawa up` also holds the host)
 * that copies a large address space, stalls the event loop for a millisecond or more, and
 * leaves every page copy-on-write for the runner to fault on afterwards. The helper is
 * small, busy with nothing else, and on the other core.
 */
export function createHelperSpawner(logger: Logger, execPath: string = process.execPath): Spawner {
  let helper: ChildProcess | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const onReply = (reply: HelperReply): void => {
    const entry = pending.get(reply.id);
    if (entry === undefined) return;
    if ('pid' in reply) {
      entry.started?.resolve({ pid: reply.pid, startTime: reply.startTime, exited: entry.exited });
      entry.started = null;
      return;
    }
    pending.delete(reply.id);
    // The helper keeps the runner alive only while it has children to report on.
    if (pending.size === 0) unrefHelper();
    if ('exit' in reply) entry.resolveExit(reply.exit);
    else entry.started?.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code ?? undefined }));
  };

  const unrefHelper = (): void => {
    helper?.unref();
    helper?.channel?.unref();
  };

  const start = (): ChildProcess => {
    const child = spawn(execPath, ['--max-old-space-size=64', '-e', HELPER_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: {},
      detached: true,
    });
    child.on('message', (reply: HelperReply) => onReply(reply));
    child.on('error', (error) => logger.error(`the spawn helper failed: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (helper === child) helper = null;
      if (pending.size === 0) return;
      logger.error(
        `the spawn helper exited (${signal ?? code}) with ${pending.size} task(s) in flight; their exit status is lost`,
      );
      for (const entry of pending.values()) {
        entry.started?.reject(new Error('the spawn helper exited'));
        entry.resolveExit({ code: null, signal: null, lost: true });
      }
      pending.clear();
    });
    return child;
  };

  return {
    spawn(request: SpawnRequest) {
      const id = nextId++;
      let resolveExit = (_exit: ProcessExit): void => {};
      const exited = new Promise<ProcessExit>((resolve) => (resolveExit = resolve));
      return new Promise((resolve, reject) => {
        pending.set(id, { started: { resolve, reject }, resolveExit, exited });
        helper ??= start();
        helper.ref();
        helper.channel?.ref();
        helper.send({ id, ...request });
      });
    },
    async close() {
      const child = helper;
      helper = null;
      if (child === null || child.exitCode !== null) return;
      // The helper leaves once its last task has ended; a task still running keeps it (and
      // its exit status) alive without holding up the runner's stop.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_WAIT_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.disconnect();
      });
      child.unref();
    },
  };
}
