import type { WebSocket } from '@fastify/websocket';
import { asBuffer, type StreamFrame } from './frames.js';

/**
 * What one side says before the relay runs is kept, in order, up to this much; past it the
 * host stops reading that side (TCP then slows it down) until the relay takes over.
 */
const MAX_HELD_BYTES = 1 << 20;

/** Keeps a socket's frames while its stream opens (an SSH client and sshd both speak first). */
export class HeldFrames {
  private readonly frames: StreamFrame[] = [];
  private bytes = 0;
  private readonly listener = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
    const frame = { data: asBuffer(data), isBinary };
    this.frames.push(frame);
    this.bytes += frame.data.length;
    if (this.bytes >= MAX_HELD_BYTES && !this.socket.isPaused) this.socket.pause();
  };

  constructor(private readonly socket: WebSocket) {
    socket.on('message', this.listener);
  }

  /** Stops holding and hands over what was held; the socket may still be paused. */
  release(): StreamFrame[] {
    this.socket.off('message', this.listener);
    return this.frames.splice(0);
  }
}
