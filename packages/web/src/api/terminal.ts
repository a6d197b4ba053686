import { parseTerminalFrame, resizeFrame, terminalQuery } from '@kawa/client';
import { authSubprotocols, type TerminalServerFrame } from '@kawa/protocol';
import { api } from './session';

export interface TerminalHandlers {
  onOutput(bytes: Uint8Array): void;
  onFrame(frame: TerminalServerFrame): void;
  onClose(code: number, reason: string): void;
}

/**
 * A host container's TTY over its WebSocket: raw bytes both ways, JSON control frames as text
 * (parsed and built by @kawa/client). The token goes as a subprotocol, never in the URL.
 */
export class TerminalSocket {
  private readonly socket: WebSocket;
  private readonly encoder = new TextEncoder();

  constructor(token: string, envName: string, size: { cols: number; rows: number }, handlers: TerminalHandlers) {
    const target = api().socket('hostContainerShell', { params: { name: envName }, query: terminalQuery(size) });
    this.socket = new WebSocket(target.url, authSubprotocols(token));
    this.socket.binaryType = 'arraybuffer';
    this.socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (event.data instanceof ArrayBuffer) handlers.onOutput(new Uint8Array(event.data));
      else if (typeof event.data === 'string') {
        try {
          handlers.onFrame(parseTerminalFrame(event.data));
        } catch (error) {
          handlers.onFrame({
            type: 'error',
            code: 'KAWA_ERR_INTERNAL',
            message: error instanceof Error ? error.message : String(error),
          });
        }
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
    if (this.open) this.socket.send(resizeFrame(cols, rows));
  }

  close(): void {
    this.socket.close(1000);
  }
}
