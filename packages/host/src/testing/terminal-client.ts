import WebSocket from 'ws';
import { TerminalServerFrameSchema, type TerminalClientFrame, type TerminalServerFrame } from '@kawa/protocol';
import { Changes } from './changes.js';
import type { CloseInfo } from './fake-runner.js';

/**
 * A terminal WebSocket client for tests: it gathers the TTY's output as text and the control
 * frames (parsed with the protocol), and lets a test wait for either. Every wait is bounded.
 */
export class TerminalClient {
  output = '';
  readonly frames: TerminalServerFrame[] = [];
  readonly closed: Promise<CloseInfo>;
  private readonly changes = new Changes();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.output += data.toString('utf8');
      else this.frames.push(TerminalServerFrameSchema.parse(JSON.parse(data.toString('utf8'))));
      this.changes.notify();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.changes.notify();
      });
    });
  }

  /** Opens the socket; rejects with the HTTP status when the host refuses the upgrade. */
  static open(url: string, headers: Record<string, string>): Promise<TerminalClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve(new TerminalClient(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`HTTP ${response.statusCode}`));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  /** Sends keystrokes as a binary frame. */
  type(text: string): void {
    this.socket.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  send(frame: TerminalClientFrame): void {
    this.socket.send(JSON.stringify(frame));
  }

  sendText(text: string): void {
    this.socket.send(text);
  }

  /** Waits until the output matches `pattern`; returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 5_000): Promise<RegExpMatchArray> {
    let match: RegExpMatchArray | null = null;
    await this.changes.until(
      () => (match = this.output.match(pattern)) !== null,
      timeoutMs,
      () => `no ${String(pattern)} within ${timeoutMs} ms; output so far: ${JSON.stringify(this.output)}`,
    );
    if (match === null) throw new Error('unreachable: the wait ended without a match');
    return match;
  }

  close(): Promise<CloseInfo> {
    this.socket.close();
    return this.closed;
  }
}
