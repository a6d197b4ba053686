import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import {
  EnvNameParamsSchema,
  KawaError,
  TerminalClientFrameSchema,
  TerminalQuerySchema,
  envContainerName,
  fromZodError,
  isKawaError,
  parseOrThrow,
  terminalCloseCodes,
  type TerminalServerFrame,
} from '@kawa/protocol';
import type { DockerEngine, ExecSession } from './engine.js';
import type { HostContainers } from './host-containers.js';

export interface ShellDeps {
  engine: DockerEngine;
  containers: HostContainers;
  log: FastifyBaseLogger;
  /** Aborts when the host shuts down; the session then closes with 1001. */
  shutdown: AbortSignal;
}

/** Shells tried, in order, when the client names no command. */
const DEFAULT_SHELLS = ['/bin/bash', '/bin/sh'];
/** Output goes down in binary frames of at most this size. */
const MAX_OUTPUT_FRAME = 64 * 1024;
/** Output is paused while this much waits to go to a slow client, and resumed below LOW. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 * 1024;
/** Input that arrives before the exec is ready is kept, up to this much. */
const MAX_EARLY_INPUT = 1 << 20;
/** After the client left, the exec's stream gets this long to close before it is dropped. */
const DETACH_GRACE_MS = 10_000;
/** Polls of exec inspect after the output ended, while Docker records the exit code. */
const EXIT_POLLS = 40;
const EXIT_POLL_MS = 50;

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= 123
    ? text
    : `${bytes
        .subarray(0, 118)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')}...`;
}

function asBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

/** What the client sent: raw input bytes, or a parsed control frame. */
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
 * One terminal WebSocket into `kawa-env-NAME` through `docker exec -it`: binary frames are the
 * TTY's bytes both ways, text frames are JSON control frames (terminal frames in envs.ts).
 * It ends with an `exit` frame and close 1000, or an `error` frame and a 44xx/45xx close.
 */
export function runShellSession(
  socket: WebSocket,
  request: { params: unknown; query: unknown },
  deps: ShellDeps,
): void {
  const early: ClientMessage[] = [];
  let earlyBytes = 0;
  let exec: ExecSession | null = null;
  let clientGone = false;

  const send = (frame: TerminalServerFrame): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  };
  const fail = (error: unknown): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (!isKawaError(error)) {
      deps.log.error({ err: error }, 'terminal session failed');
      send({
        type: 'error',
        code: 'KAWA_ERR_INTERNAL',
        message: 'internal error in the host; its log has the details',
      });
      socket.close(1011, 'internal error');
      return;
    }
    send({ type: 'error', code: error.code, message: error.message });
    const dockerFault = error.code === 'KAWA_ERR_DOCKER_FAILED' || error.code === 'KAWA_ERR_DOCKER_UNAVAILABLE';
    socket.close(
      dockerFault ? terminalCloseCodes.dockerFailed : terminalCloseCodes.refused,
      closeReason(error.message),
    );
  };

  const apply = (message: ClientMessage): void => {
    if (!exec) return;
    if (message.kind === 'resize') {
      exec.resize(message.cols, message.rows).catch((error: unknown) => {
        deps.log.debug({ err: error }, 'terminal resize failed');
      });
      return;
    }
    // Input faster than the exec takes it: stop reading the socket until it drains.
    if (!exec.stream.write(message.bytes)) {
      socket.pause();
      exec.stream.once('drain', () => socket.resume());
    }
  };

  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    let message: ClientMessage;
    try {
      message = parseClientMessage(asBuffer(data), isBinary);
    } catch (error) {
      fail(error);
      return;
    }
    if (exec) return apply(message);
    earlyBytes += message.kind === 'input' ? message.bytes.length : 0;
    if (earlyBytes > MAX_EARLY_INPUT)
      return fail(new KawaError('KAWA_ERR_PAYLOAD_TOO_LARGE', 'too much input before the shell started'));
    early.push(message);
  });

  // Going away, as a shutting-down server says; the command in the container is left running.
  const onShutdown = (): void => socket.close(1001, 'the host is shutting down');
  if (deps.shutdown.aborted) onShutdown();
  else deps.shutdown.addEventListener('abort', onShutdown, { once: true });

  socket.on('close', () => {
    deps.shutdown.removeEventListener('abort', onShutdown);
    clientGone = true;
    if (!exec) return;
    // Ending stdin detaches; the command itself is left alone, as docker exec does.
    const stream = exec.stream;
    stream.end();
    setTimeout(() => stream.destroy(), DETACH_GRACE_MS).unref();
  });

  const start = async (): Promise<void> => {
    const params = parseOrThrow(EnvNameParamsSchema, request.params, 'path parameters');
    const query = parseOrThrow(TerminalQuerySchema, request.query, 'query');
    const container = await deps.containers.get(params.name);
    const containerName = envContainerName(params.name);
    if (container.state !== 'running') {
      throw new KawaError(
        'KAWA_ERR_CONTAINER_NOT_RUNNING',
        `${containerName} is ${container.state}: start it with kawa docker container start ${params.name}`,
      );
    }
    const command = query.command ?? [await firstShell(deps.engine, containerName)];
    const session = await deps.engine.exec(containerName, command, ['TERM=xterm-256color']);
    if (clientGone) {
      session.stream.end();
      return;
    }
    exec = session;
    // Listen before anything else is awaited: a command that exits at once (`true`) ends the
    // stream during the first await, and its end must still produce the exit frame.
    pipeOutput(socket, session, deps.log);
    await session.resize(query.cols, query.rows).catch(() => undefined);
    for (const message of early.splice(0)) apply(message);
  };

  start().catch(fail);
}

/** The first default shell the container has; a container with neither needs an explicit command. */
async function firstShell(engine: DockerEngine, container: string): Promise<string> {
  for (const shell of DEFAULT_SHELLS) if (await engine.pathExists(container, shell)) return shell;
  throw new KawaError(
    'KAWA_ERR_BAD_REQUEST',
    `${container} has neither ${DEFAULT_SHELLS.join(' nor ')}: pass the command to run (after --)`,
  );
}

/** Copies the exec's output to the socket with backpressure; at its end sends `exit` and closes 1000. */
function pipeOutput(socket: WebSocket, session: ExecSession, log: FastifyBaseLogger): void {
  const stream = session.stream;
  const sent = (): void => {
    if (stream.isPaused() && socket.bufferedAmount < LOW_WATER) stream.resume();
  };
  stream.on('data', (chunk: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    for (let offset = 0; offset < chunk.length; offset += MAX_OUTPUT_FRAME) {
      socket.send(chunk.subarray(offset, offset + MAX_OUTPUT_FRAME), { binary: true }, sent);
    }
    if (socket.bufferedAmount > HIGH_WATER) stream.pause();
  });
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    if (socket.readyState !== socket.OPEN) return;
    exitCodeOf(session)
      .then((exitCode) => {
        if (socket.readyState !== socket.OPEN) return;
        socket.send(JSON.stringify({ type: 'exit', exitCode } satisfies TerminalServerFrame));
        socket.close(1000, 'exited');
      })
      .catch((error: unknown) => {
        log.warn({ err: error }, 'could not read a terminal exit code');
        socket.send(JSON.stringify({ type: 'exit', exitCode: null } satisfies TerminalServerFrame));
        socket.close(1000, 'exited');
      });
  };
  stream.on('end', finish);
  stream.on('close', finish);
  if (stream.readableEnded || stream.destroyed) finish();
  stream.on('error', (error) => {
    log.debug({ err: error }, 'terminal exec stream failed');
    finish();
  });
}

/** The exec's exit code, once Docker has recorded it (shortly after the output ends). */
async function exitCodeOf(session: ExecSession): Promise<number | null> {
  for (let poll = 0; poll < EXIT_POLLS; poll++) {
    const state = await session.inspect();
    if (!state.running) return state.exitCode;
    await new Promise((resolve) => setTimeout(resolve, EXIT_POLL_MS));
  }
  return null;
}
