import {
  TerminalServerFrameSchema,
  authSubprotocols,
  buildPath,
  wsRoutes,
  type TerminalClientFrame,
  type TerminalServerFrame,
} from '@kawa/protocol';
import { webSocketUrl } from './session';

export interface TerminalHandlers {
  onOutput(bytes: Uint8Array): void;
  onFrame(frame: TerminalServerFrame): void;
  onClose(code: number, reason: string): void;
}

/** A host container's TTY over its WebSocket: raw bytes both ways, JSON control frames as text. */
export class TerminalSocket {
  private readonly socket: WebSocket;
  private readonly encoder = new TextEncoder();

  constructor(token: string, envName: string, size: { cols: number; rows: number }, handlers: TerminalHandlers) {
    const path = buildPath(wsRoutes.hostContainerShell.path, { name: envName });
    const query = new URLSearchParams({ cols: String(size.cols), rows: String(size.rows) });
    this.socket = new WebSocket(webSocketUrl(`${path}?${query.toString()}`), authSubprotocols(token));
    this.socket.binaryType = 'arraybuffer';
    this.socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (event.data instanceof ArrayBuffer) return handlers.onOutput(new Uint8Array(event.data));
      if (typeof event.data !== 'string') return;
      try {
        const parsed = TerminalServerFrameSchema.safeParse(JSON.parse(event.data));
        if (parsed.success) handlers.onFrame(parsed.data);
      } catch {
        // Not JSON: not a frame of this protocol; ignored like any unknown frame.
      }
    });
    this.socket.addEventListener('close', (event) => handlers.onClose(event.code, event.reason));
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Keystrokes go up as binary frames. */
  input(data: string): void {
    if (this.open) this.socket.send(this.encoder.encode(data));
  }

  resize(cols: number, rows: number): void {
    const frame: TerminalClientFrame = { type: 'resize', cols: clamp(cols), rows: clamp(rows) };
    if (this.open) this.socket.send(JSON.stringify(frame));
  }

  close(): void {
    this.socket.close(1000);
  }
}

const clamp = (value: number): number => Math.min(1000, Math.max(1, Math.round(value)));
