import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isKawaError, KawaError, type StreamOpenFrame } from '@kawa/protocol';
import type WebSocket from 'ws';
import type { DockerEngine } from '../executors/docker/docker-engine.js';
import { sshEndpoints } from '../executors/docker/sshd-ready.js';
import type { ControlOutcome } from '../executors/process/task-control.js';
import { runnerStreamUrl } from '../host-link/link-url.js';
import type { Logger } from '../logger.js';
import { errorMessage } from '../util/errno.js';
import { dialBack } from './dial-back.js';
import { connectSshd, pipeSsh } from './ssh-pipe.js';
import { streamTarget, type StreamSubject } from './stream-target.js';
import { firstShell, runTerminal } from './terminal-session.js';

export interface StreamServiceOptions {
  /** The host's base URL, as the link uses it; streams go to RUNNER_STREAM_PATH under it. */
  hostUrl: string;
  /** The join token, read at each dial like the link's. */
  token: () => Promise<string>;
  nodeName: string;
  engine: DockerEngine;
  /** What the runner knows of a task: its container, no-Docker, or nothing. */
  subject: (taskId: number) => StreamSubject;
  logger: Logger;
  dialTimeoutMs?: number;
  maxStreams?: number;
  /** PEM CA certificate(s) to trust for a wss:// host, as the link's. */
  ca?: Buffer;
  /** The host in this process (`kawa up`), which can take an SSH stream's end without a dial-back. */
  localStreams?: LocalStreamSink;
}

/**
 * Takes the runner's end of stream `streamId` in-process; false when the host has no such stream
 * waiting (the runner then closes the socket and refuses the stream).
 */
export type LocalStreamSink = (streamId: string, socket: Duplex) => boolean;

export interface StreamService {
  /** Opens the stream the host asked for; the outcome is the command-result's answer. */
  open(frame: StreamOpenFrame): Promise<ControlOutcome>;
  /** Closes every stream (1001) and refuses new ones. */
  close(): Promise<void>;
}

/** The host waits about this long for a dial-back; a later one would find the stream gone. */
const DIAL_TIMEOUT_MS = 10_000;
/** Streams open at once; each holds a socket, a TCP connection or an exec, and buffers. */
const MAX_STREAMS = 256;
/** How long close() lets each socket close cleanly before dropping it. */
const CLOSE_GRACE_MS = 2_000;

function refusal(error: unknown): ControlOutcome {
  if (isKawaError(error)) return { ok: false, code: error.code, message: error.message.slice(0, 4096) };
  return {
    ok: false,
    code: 'KAWA_ERR_INTERNAL',
    message: `the runner could not open the stream: ${errorMessage(error)}`,
  };
}

/**
 * Reverse streams: at the host's `stream-open`, the runner checks the task, prepares the
 * local end (a TCP connection to the VPS's sshd, or the terminal's command), dials the host
 * back, and pipes. It opens no port of its own.
 */
export function createStreamService(options: StreamServiceOptions): StreamService {
  const { engine, logger } = options;
  const sockets = new Set<WebSocket>();
  /** sshd connections handed to the host in this process; closed with the service. */
  const handedOver = new Set<Socket>();
  const stopping = new AbortController();
  let pending = 0;

  async function prepareSsh(containerId: string, taskId: number): Promise<Socket> {
    const state = await engine.inspectContainer(containerId);
    const endpoints = state === null ? [] : sshEndpoints(state);
    if (endpoints.length === 0)
      throw new KawaError(
        'KAWA_ERR_INVALID_STATE',
        `VPS ${taskId} has no address or published SSH port right now (its container restarts); try again`,
      );
    return connectSshd(endpoints);
  }

  async function open(frame: StreamOpenFrame): Promise<ControlOutcome> {
    if (stopping.signal.aborted)
      return { ok: false, code: 'KAWA_ERR_RUNNER_UNAVAILABLE', message: `node ${options.nodeName} is stopping` };
    const openNow = sockets.size + handedOver.size + pending;
    if (openNow >= (options.maxStreams ?? MAX_STREAMS))
      return {
        ok: false,
        code: 'KAWA_ERR_INVALID_STATE',
        message: `node ${options.nodeName} already has ${openNow} open streams; close some first`,
      };
    const target = streamTarget(frame.kind, frame.taskId, options.subject(frame.taskId), options.nodeName);
    if ('ok' in target) return target;
    pending += 1;
    let tcp: Socket | null = null;
    let socket: WebSocket;
    let command: string[] = [];
    const local = frame.kind === 'ssh' && frame.raw ? options.localStreams : undefined;
    if (local !== undefined) return handOver(frame, target.containerId, local);
    try {
      if (frame.kind === 'ssh') tcp = await prepareSsh(target.containerId, frame.taskId);
      else command = frame.command ?? [await firstShell(engine, target.containerId, frame.taskId)];
      socket = await dialBack({
        url: runnerStreamUrl(options.hostUrl, frame.streamId),
        token: await options.token(),
        timeoutMs: options.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
        signal: stopping.signal,
        ca: options.ca,
      });
    } catch (error) {
      tcp?.destroy();
      logger.debug(`stream ${frame.streamId} (${frame.kind}, task ${frame.taskId}) refused: ${errorMessage(error)}`);
      return refusal(error);
    } finally {
      pending -= 1;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (tcp !== null) pipeSsh(socket, tcp, logger);
    else {
      const request = { containerId: target.containerId, command, cols: frame.cols, rows: frame.rows };
      runTerminal(socket, engine, request, logger);
    }
    // Listening now: let the frames held since the socket opened through.
    socket.resume();
    logger.debug(`stream ${frame.streamId} open: ${frame.kind} into task ${frame.taskId}`);
    return { ok: true };
  }

  /** An unframed SSH stream to the host in this process: its end is the sshd connection itself. */
  async function handOver(
    frame: StreamOpenFrame,
    containerId: string,
    local: LocalStreamSink,
  ): Promise<ControlOutcome> {
    pending += 1;
    let tcp: Socket;
    try {
      tcp = await prepareSsh(containerId, frame.taskId);
    } catch (error) {
      logger.debug(`stream ${frame.streamId} (ssh, task ${frame.taskId}) refused: ${errorMessage(error)}`);
      return refusal(error);
    } finally {
      pending -= 1;
    }
    if (stopping.signal.aborted || !local(frame.streamId, tcp)) {
      tcp.destroy();
      return refusal(
        new KawaError('KAWA_ERR_NOT_FOUND', 'no stream with this id waits for its runner (unknown, expired or joined)'),
      );
    }
    handedOver.add(tcp);
    tcp.once('close', () => handedOver.delete(tcp));
    logger.debug(`stream ${frame.streamId} open: ssh into task ${frame.taskId}, handed over in-process`);
    return { ok: true };
  }

  return {
    open,
    async close() {
      stopping.abort();
      for (const tcp of handedOver) tcp.destroy();
      await Promise.all(
        [...sockets].map(
          (socket) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                socket.terminate();
                resolve();
              }, CLOSE_GRACE_MS);
              socket.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              socket.close(1001, 'the runner is stopping');
            }),
        ),
      );
    },
  };
}
