import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RUNNER_LINK_PATH, RunnerFrameSchema, type HostFrame, type RunnerFrame } from '@kawa/protocol';
import { WebSocketServer, type WebSocket } from 'ws';

/** A stand-in host for tests: records every frame and lets the test drive each connection. */
export class FakeHost {
  readonly frames: RunnerFrame[] = [];
  readonly connections: WebSocket[] = [];
  readonly authorizations: (string | undefined)[] = [];
  autoWelcome = true;
  refuseWith: number | null = null;
  private readonly server: Server;
  private readonly wss: WebSocketServer;

  constructor() {
    this.server = createServer();
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (request, socket, head) => {
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
    });
  }

  /** Sends a host frame on the newest connection. */
  send(frame: HostFrame): void {
    this.connections.at(-1)?.send(JSON.stringify(frame));
  }

  of<T extends RunnerFrame['type']>(type: T): Extract<RunnerFrame, { type: T }>[] {
    return this.frames.filter((frame): frame is Extract<RunnerFrame, { type: T }> => frame.type === type);
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
