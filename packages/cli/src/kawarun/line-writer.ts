import type { CliOutput } from '../io.js';

/** A line longer than this is written in pieces, each prefixed, so memory stays bounded. */
export const MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

export interface LineWriter {
  /** Takes a chunk of a run's output; returns false when `output` asked to slow down. */
  write(chunk: Uint8Array): boolean;
  /** Writes a last line that had no newline (with one added). */
  end(): void;
}

/**
 * Prefixes every line of one stream of one run and hands `output` whole lines only, each in
 * one write, so runs in parallel never interleave mid-line. Works on bytes: a UTF-8 character
 * split across chunks is never decoded half.
 */
export function createLineWriter(output: CliOutput, prefix: string, maxLineBytes = MAX_LINE_BYTES): LineWriter {
  const head = Buffer.from(prefix);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let accepted = true;
  const emit = (parts: Buffer[]): void => {
    accepted = output.write(Buffer.concat([head, ...parts, Buffer.from([NEWLINE])])) && accepted;
  };
  const add = (piece: Buffer): void => {
    let rest = piece;
    while (pendingBytes + rest.length > maxLineBytes) {
      const room = maxLineBytes - pendingBytes;
      emit([...pending, rest.subarray(0, room)]);
      pending = [];
      pendingBytes = 0;
      rest = rest.subarray(room);
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  };
  return {
    write(chunk) {
      accepted = true;
      let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (let newline = data.indexOf(NEWLINE); newline >= 0; newline = data.indexOf(NEWLINE)) {
        add(data.subarray(0, newline));
        emit(pending);
        pending = [];
        pendingBytes = 0;
        data = data.subarray(newline + 1);
      }
      add(data);
      return accepted;
    },
    end() {
      if (pendingBytes === 0) return;
      emit(pending);
      pending = [];
      pendingBytes = 0;
    },
  };
}
