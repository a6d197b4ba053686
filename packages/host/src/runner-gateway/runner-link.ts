import type { WebSocket } from '@fastify/websocket';
import {
  HostFrameSchema,
  KawaError,
  type CommandResultFrame,
  type HostFrame,
  type StreamOpenFrame,
  type TaskAction,
} from '@kawa/protocol';
import { closeReason } from '../streams/close-codes.js';

/** What a `stream-open` asks for, without its request id. */
export type StreamOpenRequest = Omit<StreamOpenFrame, 'type' | 'requestId'>;

/** The TCP socket under a link's WebSocket: corked, its writes go out together. */
export interface LinkWire {
  cork(): void;
  uncork(): void;
}

interface PendingCommand {
  resolve: (result: CommandResultFrame) => void;
  reject: (error: KawaError) => void;
  timer: NodeJS.Timeout;
}

/**
 * One runner's open link: sends host frames (checked against the protocol) and matches
 * `command-result` frames to the `task-control` requests waiting for them.
 */
export class RunnerLink {
  /** Set once `hello` registered the runner under a name. */
  name: string | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingCommand>();
  private closed = false;
  private corked = false;

  /** `wire`: the TCP socket `socket` writes to, if known (frames then leave once per turn). */
  constructor(
    private readonly socket: WebSocket,
    private readonly wire: LinkWire | null = null,
  ) {}

  get isOpen(): boolean {
    return !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  send(frame: HostFrame): boolean {
    if (!this.isOpen) return false;
    this.corkForThisTurn();
    this.socket.send(JSON.stringify(HostFrameSchema.parse(frame)));
    return true;
  }

  /**
   * Holds this turn's frames (a pass's task-starts, a batch's acks) and writes them in one go
   * when the turn's synchronous work is done: one system call and TCP segment, not one each.
   */
  private corkForThisTurn(): void {
    if (this.corked || this.wire === null) return;
    const wire = this.wire;
    this.corked = true;
    wire.cork();
    process.nextTick(() => {
      this.corked = false;
      wire.uncork();
    });
  }

  /**
   * Sends a `task-control` and resolves with the runner's `command-result`. Rejects with
   * KAWA_ERR_RUNNER_TIMEOUT after `timeoutMs`, or KAWA_ERR_RUNNER_UNAVAILABLE if the link drops.
   */
  command(taskId: number, action: TaskAction, timeoutMs: number): Promise<CommandResultFrame> {
    return this.request(
      (requestId) => ({ type: 'task-control', requestId, taskId, action }),
      `"${action}" for task ${taskId}`,
      timeoutMs,
    );
  }

  /** Sends a `stream-open`; resolves with its `command-result` like `command`. */
  openStream(stream: StreamOpenRequest, timeoutMs: number): Promise<CommandResultFrame> {
    return this.request(
      (requestId) => ({ type: 'stream-open', requestId, ...stream }),
      `the ${stream.kind} stream for task ${stream.taskId}`,
      timeoutMs,
    );
  }

  private request(
    frame: (requestId: number) => HostFrame,
    what: string,
    timeoutMs: number,
  ): Promise<CommandResultFrame> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new KawaError(
            'KAWA_ERR_RUNNER_TIMEOUT',
            `node ${this.name ?? '?'} did not answer ${what} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      if (!this.send(frame(requestId))) {
        this.failPending(requestId, `the runner link to node ${this.name ?? '?'} is closed`);
      }
    });
  }

  /** Hands a `command-result` to its waiting request; false if none waits (late or unknown). */
  resolveCommand(frame: CommandResultFrame): boolean {
    const pending = this.pending.get(frame.requestId);
    if (!pending) return false;
    this.pending.delete(frame.requestId);
    clearTimeout(pending.timer);
    pending.resolve(frame);
    return true;
  }

  close(code: number, reason: string): void {
    this.markClosed();
    this.socket.close(code, closeReason(reason));
  }

  /** Drops the connection without a close handshake (a silent peer may never answer one). */
  terminate(): void {
    this.markClosed();
    this.socket.terminate();
  }

  /** Called when the socket closed, for whatever reason; fails every waiting command. */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const requestId of [...this.pending.keys()]) {
      this.failPending(requestId, `the runner link to node ${this.name ?? '?'} closed before it answered`);
    }
  }

  private failPending(requestId: number, message: string): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    clearTimeout(pending.timer);
    pending.reject(new KawaError('KAWA_ERR_RUNNER_UNAVAILABLE', message));
  }
}
