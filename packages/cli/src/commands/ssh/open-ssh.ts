import { existsSync, mkdirSync } from 'node:fs';
import { KawaError, isFinalStatus, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { systemProcesses } from '../../system/processes.js';
import { selfCommand } from '../../system/self-command.js';
import { proxyCommand, proxyModeFor } from './proxy-command.js';
import { sshArgs } from './ssh-args.js';
import { generatedKeyPath, sshFiles } from './vps-alias.js';

/** Why ssh cannot reach this task now, with what to do; null when it can. */
function notReachable(task: Task): KawaError | null {
  const id = task.id;
  if (task.kind !== 'vps')
    return new KawaError(
      'KAWA_ERR_NOT_A_VPS',
      `task ${id} is a command task, not a VPS: for a shell in it use kawa connect ${id}`,
    );
  if (task.status === 'running') return null;
  // The host takes no new connection to a frozen VPS; sessions already open stall until resume.
  if (task.status === 'paused')
    return new KawaError('KAWA_ERR_INVALID_STATE', `VPS ${id} is paused: resume it first with kawa vps resume ${id}`);
  if (task.status === 'stopped')
    return new KawaError('KAWA_ERR_INVALID_STATE', `VPS ${id} is stopped: start it again with kawa vps restart ${id}`);
  if (isFinalStatus(task.status)) {
    const why = task.reason === null ? '' : ` (${task.reason})`;
    return new KawaError(
      'KAWA_ERR_INVALID_STATE',
      `VPS ${id} has ended: ${task.status}${why}; make a new one with kawa vps create`,
    );
  }
  return new KawaError(
    'KAWA_ERR_INVALID_STATE',
    `VPS ${id} is ${task.status}, not running yet${task.reason === null ? '' : ` (${task.reason})`}: ` +
      `see kawa vps status ${id}`,
  );
}

/**
 * `kawa ssh <id> [ssh options] [command]`: checks that the task is a VPS that runs, then runs
 * the user's OpenSSH client through `kawa ssh --stdio` and returns ssh's exit code (255 when
 * ssh itself fails, as ssh does).
 */
export async function openSsh(context: CliContext, id: number, passThrough: readonly string[]): Promise<number> {
  const { io } = context;
  const client = context.client();
  const task = await client.call('getTask', { params: { id } });
  const problem = notReachable(task);
  if (problem !== null) throw problem;
  const files = sshFiles(io);
  // ssh adds to known_hosts but does not make its directory.
  mkdirSync(files.kawaDir, { recursive: true, mode: 0o700 });
  const keyPath = generatedKeyPath(files, id);
  const globals = context.globals();
  const mode = proxyModeFor(client.baseUrl);
  const args = sshArgs({
    id,
    proxy: proxyCommand(selfCommand(io), globals, io.cwd, String(id), mode),
    fdpass: mode === 'fdpass',
    knownHosts: files.knownHosts,
    identityFile: existsSync(keyPath) ? keyPath : null,
    passThrough,
  });
  // The proxy reads the token like any kawa run; one given with --token goes by the
  // environment, which other users cannot read, rather than by argv, which they can.
  const env = { ...io.env, ...(globals.token === undefined ? {} : { KAWA_CLIENT_TOKEN: globals.token }) };
  return (io.processes ?? systemProcesses()).runAttached('ssh', args, env);
}
