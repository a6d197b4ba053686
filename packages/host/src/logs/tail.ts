import type { FileHandle } from 'node:fs/promises';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The byte offset where the last `lines` lines of a file of `size` bytes begin. Reads backwards
 * in chunks, so a tail of a huge log costs about as much as the lines returned. A newline that
 * ends the file does not start an empty last line.
 */
export async function tailStart(file: FileHandle, size: number, lines: number): Promise<number> {
  if (lines === 0) return size;
  let end = size;
  let newlines = 0;
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let skipTrailing = true;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK_BYTES);
    const length = end - start;
    const { bytesRead } = await file.read(buffer, 0, length, start);
    for (let index = bytesRead - 1; index >= 0; index -= 1) {
      const position = start + index;
      if (skipTrailing) {
        skipTrailing = false;
        if (position === size - 1 && buffer[index] === NEWLINE) continue;
      }
      if (buffer[index] === NEWLINE) {
        newlines += 1;
        if (newlines === lines) return position + 1;
      }
    }
    end = start;
  }
  return 0;
}
