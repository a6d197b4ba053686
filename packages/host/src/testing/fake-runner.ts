import WebSocket from 'ws';
import { Changes } from './changes.js';
import {
  HostFrameSchema,
  RUNNER_LINK_PATH,
  type HostFrame,
  type NodeResources,
  type RunnerFrame,
  type RunnerReportedStatus,
  type SyncProgress,
} from '@kawa/protocol';

type FrameOf<T extends HostFrame['type']> = Extract<HostFrame, { type: T }>;

export interface CloseInfo {
  code: number;
  reason: string;
}

/** Resources of a small test node: `cores` cpus in one NUMA zone (or as given), no GPUs. */
export function testResources(overrides: Partial<NodeResources> = {}): NodeResources {
  const cores = overrides.cores ?? 2;
  return {
    hostname: 'test-machine',
    cores,
    memoryBytes: 8e9,
    numa: [{ id: 0, cpus: Array.from({ length: cores }, (_, index) => index), memoryBytes: null }],
    gpus: [],
    ...overrides,
  };
}

/**
 * A scripted runner over a real WebSocket: it records every host frame (parsed with the
 * protocol) and lets a test await the next frame of a type. Every wait is bounded.
 */
export class FakeRunner {
  readonly frames: HostFrame[] = [];
  readonly closed: Promise<CloseInfo>;
  private readonly changes = new Changes();
  private heartbeats: NodeJS.Timeout | null = null;
  private readonly listeners: ((frame: HostFrame) => void)[] = [];

  private constructor(
    private readonly socket: WebSocket,
    /** The host's ws:// base URL and the join token, for dial-backs (fake-streams.ts). */
    readonly baseUrl: string,
    readonly token: string,
  ) {
    socket.on('message', (data: Buffer) => {
      const frame = HostFrameSchema.parse(JSON.parse(data.toString('utf8')));
      this.frames.push(frame);
      for (const listener of this.listeners) listener(frame);
      this.changes.notify();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.stopHeartbeats();
        resolve({ code, reason: reason.toString('utf8') });
        this.changes.notify();
      });
    });
  }

  /** Opens the link; rejects with the HTTP status if the host refuses the upgrade. */
  static connect(baseUrl: string, token: string): Promise<FakeRunner> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${baseUrl}${RUNNER_LINK_PATH}`, { headers: { authorization: `Bearer ${token}` } });
      socket.once('open', () => resolve(new FakeRunner(socket, baseUrl, token)));
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`HTTP ${response.statusCode}`));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  /** Calls `listener` with every host frame as it arrives (it also stays in `frames`). */
  onFrame(listener: (frame: HostFrame) => void): void {
    this.listeners.push(listener);
  }

  send(frame: RunnerFrame): void {
    this.socket.send(JSON.stringify(frame));
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Sends hello, waits for welcome, then heartbeats at the interval the host asked for. */
  async hello(
    name: string,
    resources: NodeResources = testResources(),
    liveTasks: { taskId: number; status: RunnerReportedStatus }[] = [],
  ): Promise<FrameOf<'welcome'>> {
    this.send({ type: 'hello', name, version: 'test', resources, liveTasks });
    const welcome = await this.next('welcome');
    this.heartbeats = setInterval(() => this.heartbeat(), welcome.heartbeatIntervalMs);
    this.heartbeats.unref();
    return welcome;
  }

  heartbeat(cpuPercent = 0): void {
    this.send({
      type: 'heartbeat',
      usage: { cpuPercent, memoryUsedBytes: 0, memoryTotalBytes: 1, temperatures: [], gpus: [] },
    });
  }

  /** Goes silent, like a hung runner whose TCP connection stays up. */
  stopHeartbeats(): void {
    if (this.heartbeats) clearInterval(this.heartbeats);
    this.heartbeats = null;
  }

  /** Reports a task state change. */
  report(
    taskId: number,
    status: RunnerReportedStatus,
    extra: { exitCode?: number | null; message?: string | null } = {},
  ): void {
    this.send({
      type: 'task-event',
      taskId,
      status,
      exitCode: extra.exitCode ?? null,
      message: extra.message ?? null,
      errorCode: null,
      at: Date.now(),
    });
  }

  /** Reports how far the sync of a task's env or image has got. */
  progress(taskId: number, progress: SyncProgress): void {
    this.send({ type: 'task-progress', taskId, progress });
  }

  /** Takes the oldest received frame of `type` (frames of other types stay available). */
  async next<T extends HostFrame['type']>(type: T, timeoutMs = 5_000): Promise<FrameOf<T>> {
    let found: HostFrame | undefined;
    const failure = (): string => `no ${type} frame within ${timeoutMs} ms`;
    await this.changes.until(
      () => {
        const index = this.frames.findIndex((frame) => frame.type === type);
        if (index >= 0) [found] = this.frames.splice(index, 1);
        else if (this.socket.readyState === WebSocket.CLOSED) throw new Error(failure());
        return found !== undefined;
      },
      timeoutMs,
      failure,
    );
    return found as FrameOf<T>;
  }

  close(): Promise<CloseInfo> {
    this.socket.close();
    return this.closed;
  }

  /** Drops the TCP connection without a close frame, like a crashed machine. */
  terminate(): Promise<CloseInfo> {
    this.socket.terminate();
    return this.closed;
  }
}
