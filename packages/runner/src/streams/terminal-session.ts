import {
  fromZodError,
  isKawaError,
  KawaError,
  TerminalClientFrameSchema,
  terminalCloseCodes,
  type TerminalServerFrame,
} from '@kawa/protocol';
import WebSocket, { type RawData } from 'ws';
import type { DockerEngine, ExecSession } from '../executors/docker/docker-engine.js';
import type { Logger } from '../logger.js';
import { sleep } from '../util/sleep.js';
import { closeReason, pumpToSocket, rawBuffer, writeFromSocket } from './socket-bytes.js';

/** Shells tried, in order, when the terminal names no command. */
export const DEFAULT_SHELLS = ['/bin/bash', '/bin/sh'];
/** Input that arrives before the exec is ready is kept, up to this much. */
const MAX_EARLY_INPUT = 1 << 20;
/** After the host side left, the exec's stream gets this long to close before it is dropped. */
const DETACH_GRACE_MS = 10_000;
/** Polls of exec inspect after the output ended, while the engine records the exit code. */
const EXIT_POLLS = 40;
const EXIT_POLL_MS = 50;

export interface TerminalRequest {
  containerId: string;
  command: string[];
  cols: number;
  rows: number;
}

/** The first default shell the container has; a container with neither needs an explicit command. */
export async function firstShell(engine: DockerEngine, containerId: string, taskId: number): Promise<string> {
  for (const shell of DEFAULT_SHELLS) if (await engine.pathExists(containerId, shell)) return shell;
  throw new KawaError(
    'KAWA_ERR_BAD_REQUEST',
    `the container of task ${taskId} has neither ${DEFAULT_SHELLS.join(' nor ')}: give the command to run`,
  );
}

/** What the host sent: raw input bytes, or a parsed control frame. */
type ClientMessage = { kind: 'input'; bytes: Buffer } | { kind: 'resize'; cols: number; rows: number };

function parseClientMessage(data: Buffer, isBinary: boolean): ClientMessage {
  if (isBinary) return { kind: 'input', bytes: data };
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    throw new KawaError('KAWA_ERR_BAD_REQUEST', 'a text frame must be JSON; send terminal input as binary frames');
  }
  const parsed = TerminalClientFrameSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(parsed.error, 'invalid terminal frame');
  return { kind: 'resize', cols: parsed.data.cols, rows: parsed.data.rows };
}

/**
 * A terminal over a dialled-back stream: `docker exec -it` in the task's container, with the
 * frames of host-container shells (envs.ts): binary bytes both ways, `resize` up, `exit` and
 * close 1000 down when the command ends, or `error` and close 4400 (refused) / 4502 (engine).
 */
export function runTerminal(socket: WebSocket, engine: DockerEngine, request: TerminalRequest, logger: Logger): void {
  const early: ClientMessage[] = [];
  let earlyBytes = 0;
  let exec: ExecSession | null = null;
  let hostGone = false;

  const send = (frame: TerminalServerFrame): void => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  };
  const fail = (error: unknown): void => {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (!isKawaError(error)) {
      logger.error(`terminal in ${request.containerId.slice(0, 12)} failed: ${String(error)}`);
      send({
        type: 'error',
        code: 'KAWA_ERR_INTERNAL',
        message: 'internal error in the runner; its log has the details',
      });
      socket.close(1011, 'internal error');
      return;
    }
    send({ type: 'error', code: error.code, message: error.message });
    const engineFault = error.code === 'KAWA_ERR_DOCKER_FAILED' || error.code === 'KAWA_ERR_DOCKER_UNAVAILABLE';
    socket.close(
      engineFault ? terminalCloseCodes.dockerFailed : terminalCloseCodes.refused,
      closeReason(error.message),
    );
  };

  const apply = (session: ExecSession, message: ClientMessage): void => {
    if (message.kind === 'resize') {
      session.resize(message.cols, message.rows).catch((error: unknown) => {
        logger.debug(`terminal resize failed: ${String(error)}`);
      });
    } else {
      writeFromSocket(socket, session.stream, message.bytes);
    }
  };

  socket.on('message', (data: RawData, isBinary: boolean) => {
    let message: ClientMessage;
    try {
      message = parseClientMessage(rawBuffer(data), isBinary);
    } catch (error) {
      fail(error);
      return;
    }
    if (exec) return apply(exec, message);
    earlyBytes += message.kind === 'input' ? message.bytes.length : 0;
    if (earlyBytes > MAX_EARLY_INPUT)
      return fail(new KawaError('KAWA_ERR_PAYLOAD_TOO_LARGE', 'too much input before the command started'));
    early.push(message);
  });
  socket.on('error', (error) => logger.debug(`terminal stream: ${error.message}`));
  socket.on('close', () => {
    hostGone = true;
    if (!exec) return;
    // Ending stdin detaches; the command itself is left alone, as docker exec does.
    const stream = exec.stream;
    stream.end();
    setTimeout(() => stream.destroy(), DETACH_GRACE_MS).unref();
  });

  const start = async (): Promise<void> => {
    const session = await engine.exec(request.containerId, request.command, ['TERM=xterm-256color']);
    if (hostGone) {
      session.stream.end();
      return;
    }
    exec = session;
    // Listen before anything else is awaited: a command that exits at once (`true`) ends the
    // stream during the first await, and its end must still produce the exit frame.
    pipeOutput(socket, session, logger);
    await session.resize(request.cols, request.rows).catch(() => undefined);
    for (const message of early.splice(0)) apply(session, message);
  };
  start().catch(fail);
}

/** Copies the exec's output to the socket; at its end sends `exit` with the code and closes 1000. */
function pipeOutput(socket: WebSocket, session: ExecSession, logger: Logger): void {
  const stream = session.stream;
  pumpToSocket(stream, socket);
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    void exitCodeOf(session)
      .catch((error: unknown) => {
        logger.warn(`could not read a terminal's exit code: ${String(error)}`);
        return null;
      })
      .then((exitCode) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(JSON.stringify({ type: 'exit', exitCode } satisfies TerminalServerFrame));
        socket.close(1000, 'exited');
      });
  };
  stream.on('end', finish);
  stream.on('close', finish);
  stream.on('error', (error) => {
    logger.debug(`terminal exec stream failed: ${error.message}`);
    finish();
  });
  if (stream.readableEnded || stream.destroyed) finish();
}

/** The exec's exit code, once the engine has recorded it (shortly after the output ends). */
async function exitCodeOf(session: ExecSession): Promise<number | null> {
  for (let poll = 0; poll < EXIT_POLLS; poll += 1) {
    const state = await session.inspect();
    if (!state.running) return state.exitCode;
    await sleep(EXIT_POLL_MS);
  }
  return null;
}
