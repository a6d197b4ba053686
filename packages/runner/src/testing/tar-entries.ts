/** One entry of a tar archive as a test checks it. */
export interface TarListing {
  path: string;
  type: 'file' | 'dir' | 'other';
  mode: number;
  uid: number;
  gid: number;
  content: Buffer;
}

const BLOCK = 512;

const field = (block: Buffer, offset: number, width: number): string =>
  block
    .subarray(offset, offset + width)
    .toString('utf8')
    .replace(/\0.*$/s, '');
const octal = (block: Buffer, offset: number, width: number): number =>
  Number.parseInt(field(block, offset, width).trim() || '0', 8);

/**
 * Lists a ustar archive (what the engine's archive API answers with), enough to check paths,
 * modes, owners and contents. PAX and GNU extension headers are skipped with their data.
 */
export function listTar(archive: Buffer): TarListing[] {
  const entries: TarListing[] = [];
  // Each round consumes at least one block, so the loop ends within archive.length / 512 rounds.
  for (let offset = 0; offset + BLOCK <= archive.length;) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const size = octal(block, 124, 12);
    const flag = field(block, 156, 1);
    const prefix = field(block, 345, 155);
    const name = field(block, 0, 100);
    const content = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') continue;
    entries.push({
      path: prefix === '' ? name : `${prefix}/${name}`,
      type: flag === '5' ? 'dir' : flag === '0' || flag === '' ? 'file' : 'other',
      mode: octal(block, 100, 8) & 0o7777,
      uid: octal(block, 108, 8),
      gid: octal(block, 116, 8),
      content: Buffer.from(content),
    });
  }
  return entries;
}
