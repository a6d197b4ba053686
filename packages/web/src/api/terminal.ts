import { parseTerminalFrame, resizeFrame, terminalQuery } from '@kawa/client';
import { authSubprotocols, type TerminalServerFrame } from '@kawa/protocol';
import { api } from './session';

/** What a terminal opens into: a host container (kawa-env-NAME), or a running task or VPS. */
export type TerminalTarget = { kind: 'env'; name: string } | { kind: 'task'; id: number; vps: boolean };

export interface TerminalHandlers {
  onOpen(): void;
  onOutput(bytes: Uint8Array): void;
  onFrame(frame: TerminalServerFrame): void;
  onClose(code: number, reason: string): void;
}

function terminalUrl(target: TerminalTarget, size: { cols: number; rows: number }): string {
  const query = terminalQuery(size);
  return target.kind === 'env'
    ? api().socket('hostContainerShell', { params: { name: target.name }, query }).url
    : api().socket('taskTerminal', { params: { id: target.id }, query }).url;
}

/**
 * A TTY over its WebSocket (host-container shell or task terminal, which speak the same
 * frames): raw bytes both ways, JSON control frames as text (parsed and built by
 * @kawa/client). The token goes as a subprotocol, never in the URL.
 */
export class TerminalSocket {
  private readonly socket: WebSocket;
  private readonly encoder = new TextEncoder();

  constructor(token: string, target: TerminalTarget, size: { cols: number; rows: number }, handlers: TerminalHandlers) {
    this.socket = new WebSocket(terminalUrl(target, size), authSubprotocols(token));
    this.socket.binaryType = 'arraybuffer';
    this.socket.addEventListener('open', () => handlers.onOpen());
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
