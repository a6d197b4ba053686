/**
 * A minimal ustar writer for the few small files the runner puts into a container (a VPS's
 * authorized_keys). The engine's archive API takes only tarballs; this is the whole format
 * for regular files and directories with exact modes and owners, with no dependency.
 */

export interface TarEntry {
  /** Relative to the extraction dir, without a leading "/"; directories end with "/". */
  path: string;
  mode: number;
  uid: number;
  gid: number;
  /** Present for a file, absent for a directory. */
  content?: Buffer;
}

const BLOCK = 512;

/** `value` as a NUL-terminated octal field of `width` bytes. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(entry: TarEntry, mtime: number): Buffer {
  const isDir = entry.content === undefined;
  if (Buffer.byteLength(entry.path) > 100) throw new Error(`tar path too long: ${entry.path}`);
  const block = Buffer.alloc(BLOCK);
  block.write(entry.path, 0, 100, 'utf8');
  block.write(octal(entry.mode & 0o7777, 8), 100, 8, 'ascii');
  block.write(octal(entry.uid, 8), 108, 8, 'ascii');
  block.write(octal(entry.gid, 8), 116, 8, 'ascii');
  block.write(octal(isDir ? 0 : (entry.content?.length ?? 0), 12), 124, 12, 'ascii');
  block.write(octal(mtime, 12), 136, 12, 'ascii');
  // The checksum is computed with its own field as eight spaces.
  block.write('        ', 148, 8, 'ascii');
  block.write(isDir ? '5' : '0', 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  // Owner names only where they are certain; the engine goes by the numbers anyway.
  if (entry.uid === 0) block.write('root', 265, 32, 'ascii');
  if (entry.gid === 0) block.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

/** A complete archive of `entries`, in order, ending with the two zero blocks. */
export function tarArchive(entries: readonly TarEntry[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry, mtime));
    if (entry.content === undefined) continue;
    parts.push(entry.content);
    const padding = (BLOCK - (entry.content.length % BLOCK)) % BLOCK;
    parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
