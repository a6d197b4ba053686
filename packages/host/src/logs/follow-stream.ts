import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

const CHUNK_BYTES = 64 * 1024;

export interface FollowOptions {
  path: string;
  /** Byte offset to start from. */
  start: number;
  /** Whether the task has reached a final state (read fresh on each check). */
  isFinal: () => boolean;
  /** Resolves when the task becomes final or `signal` aborts. */
  waitFinal: (signal: AbortSignal) => Promise<void>;
  /** Fallback poll; fs.watch wakes the stream sooner where it works (not on every network FS). */
  pollMs: number;
}

/**
 * A log file as a stream that keeps growing: it sends what is there, then waits for more
 * (fs.watch, a poll, or the task ending) and ends once the task is final and the file is
 * drained. Destroying it (the client left) stops the watcher, the timers and the file.
 */
export class FollowStream extends Readable {
  private position: number;
  private file: FileHandle | null = null;
  private watcher: FSWatcher | null = null;
  private readonly stopped = new AbortController();
  private wake: (() => void) | null = null;
  private pumping = false;

  constructor(private readonly options: FollowOptions) {
    super();
    this.position = options.start;
    options.waitFinal(this.stopped.signal).then(
      () => this.wakeUp(),
      () => this.wakeUp(),
    );
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.pump().catch((error: unknown) => this.destroy(error as Error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopped.abort();
    this.watcher?.close();
    this.watcher = null;
    this.wakeUp();
    const file = this.file;
    this.file = null;
    if (!file) {
      callback(error);
      return;
    }
    file.close().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.destroyed) return;
      // Look at the task before reading: bytes written before it ended are then always read.
      const final = this.options.isFinal();
      const chunk = await this.readMore();
      if (this.destroyed) return;
      if (chunk !== null) {
        this.position += chunk.length;
        if (!this.push(chunk)) {
          this.pumping = false;
          return;
        }
        continue;
      }
      if (final) {
        this.push(null);
        return;
      }
      await this.changed();
    }
  }

  /** The next bytes after `position`, or null at the end (or while the file does not exist). */
  private async readMore(): Promise<Buffer | null> {
    if (!this.file) {
      try {
        this.file = await open(this.options.path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      if (this.destroyed) return null;
      try {
        this.watcher = watch(this.options.path, { persistent: false }, () => this.wakeUp());
        this.watcher.on('error', () => {
          this.watcher?.close();
          this.watcher = null;
        });
      } catch {
        // Watching is an optimisation; the poll still finds new bytes.
      }
    }
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const { bytesRead } = await this.file.read(buffer, 0, CHUNK_BYTES, this.position);
    return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wakeUp(), this.options.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      if (this.stopped.signal.aborted) this.wakeUp();
    });
  }

  private wakeUp(): void {
    this.wake?.();
  }
}
