import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../logger.js';
import type { ProcessExit, SpawnedProcess, Spawner, SpawnRequest } from './spawner.js';

/**
 * The helper's program, plain JavaScript so that it runs from source and from dist alike.
 * It opens the log files, spawns as nodeSpawner does, and reports the pid and later the exit.
 * Its synchronous opens block only itself. It leaves when the runner goes (its tasks stay:
 * they are sessions of their own, as with nodeSpawner), and not before: it runs in its own
 * session and ignores SIGINT and SIGTERM, so that a Ctrl-C or a service stop reaches the
 * runner, which kills and reports its tasks, instead of taking their exit statuses away.
 */
const HELPER_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
const { openSync, closeSync } = require('node:fs');
const send = (message) => { if (process.connected) process.send(message); };
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('message', (request) => {
  const fds = [];
  let child;
  try {
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
  child.once('exit', (code, signal) => send({ id: request.id, exit: { code, signal } }));
  send({ id: request.id, pid: child.pid });
});
`;

type HelperReply =
  | { id: number; pid: number }
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
      entry.started?.resolve({ pid: reply.pid, exited: entry.exited });
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
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      });
    },
  };
}
