import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  RUNNER_LINK_PATH,
  RUNNER_STREAM_PATH,
  RunnerFrameSchema,
  type CommandResultFrame,
  type HostFrame,
  type RunnerFrame,
} from '@kawa/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { recordStream, type StreamRecorder } from './stream-recorder.js';
import { waitFor } from './wait-for.js';

/** Host frames the runner answers with a command-result. */
type RequestFrame = Extract<HostFrame, { requestId: number }>;
type WithoutRequestId<F> = F extends unknown ? Omit<F, 'requestId'> : never;

/** `/api/v1/runner-link/streams/<id>` → the id; null for any other path. */
const STREAM_PREFIX = RUNNER_STREAM_PATH.replace(':streamId', '');
function streamIdOf(url: string | undefined): string | null {
  if (url === undefined || !url.startsWith(STREAM_PREFIX)) return null;
  const id = url.slice(STREAM_PREFIX.length);
  return /^[A-Za-z0-9_-]+$/.test(id) ? id : null;
}

/** A stand-in host for tests: records every frame and lets the test drive each connection. */
export class FakeHost {
  readonly frames: RunnerFrame[] = [];
  readonly connections: WebSocket[] = [];
  readonly authorizations: (string | undefined)[] = [];
  autoWelcome = true;
  /** Acknowledge every task-event, as the host does once it is stored. */
  autoAck = true;
  refuseWith: number | null = null;
  /** Reverse streams the runner dialled back, by stream id, recorded from their first frame. */
  readonly streams = new Map<string, StreamRecorder & { socket: WebSocket }>();
  readonly streamAuthorizations: (string | undefined)[] = [];
  /** Answer stream dial-backs with this HTTP status instead of accepting them. */
  refuseStreamsWith: number | null = null;
  /** Take the stream's TCP connection but never answer its upgrade. */
  holdStreams = false;
  private nextRequestId = 1;
  private readonly held: Duplex[] = [];
  private readonly server: Server;
  private readonly wss: WebSocketServer;

  constructor() {
    this.server = createServer();
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (request, socket, head) => {
      const streamId = streamIdOf(request.url);
      if (streamId !== null) {
        this.streamAuthorizations.push(request.headers.authorization);
        if (this.holdStreams) {
          this.held.push(socket);
          return;
        }
        if (this.refuseStreamsWith !== null) {
          socket.end(`HTTP/1.1 ${this.refuseStreamsWith} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
          return;
        }
        this.wss.handleUpgrade(request, socket, head, (ws) =>
          this.streams.set(streamId, { ...recordStream(ws), socket: ws }),
        );
        return;
      }
      if (request.url !== RUNNER_LINK_PATH) {
        socket.destroy();
        return;
      }
      if (this.refuseWith !== null) {
        socket.end(`HTTP/1.1 ${this.refuseWith} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      this.authorizations.push(request.headers.authorization);
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private accept(ws: WebSocket): void {
    this.connections.push(ws);
    ws.on('message', (data: Buffer) => {
      const frame = RunnerFrameSchema.parse(JSON.parse(data.toString('utf8')));
      this.frames.push(frame);
      if (frame.type === 'hello' && this.autoWelcome)
        ws.send(JSON.stringify({ type: 'welcome', heartbeatIntervalMs: 50 }));
      // As the real host does once it has stored the event.
      if (frame.type === 'task-event' && this.autoAck)
        ws.send(JSON.stringify({ type: 'task-event-ack', taskId: frame.taskId, status: frame.status }));
    });
  }

  /** Sends a host frame on the newest connection. */
  send(frame: HostFrame): void {
    this.connections.at(-1)?.send(JSON.stringify(frame));
  }

  /** Sends a host frame that asks for an answer, with a fresh request id, and waits for its result. */
  async request(frame: WithoutRequestId<RequestFrame>, timeoutMs = 20_000): Promise<CommandResultFrame> {
    const requestId = this.nextRequestId++;
    this.send({ ...frame, requestId });
    return waitFor(
      () => this.of('command-result').find((result) => result.requestId === requestId),
      `the result of ${frame.type} request ${requestId}`,
      timeoutMs,
    );
  }

  /** The stream the runner dialled back for `streamId`, once it is there. */
  stream(streamId: string): Promise<StreamRecorder & { socket: WebSocket }> {
    return waitFor(() => this.streams.get(streamId), `the dial-back of stream ${streamId}`, 10_000);
  }

  of<T extends RunnerFrame['type']>(type: T): Extract<RunnerFrame, { type: T }>[] {
    return this.frames.filter((frame): frame is Extract<RunnerFrame, { type: T }> => frame.type === type);
  }

  async close(): Promise<void> {
    for (const socket of this.held) socket.destroy();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
