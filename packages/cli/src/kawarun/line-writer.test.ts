import { describe, expect, it } from 'vitest';
import { createLineWriter } from './line-writer.js';

function output(accept = true) {
  const writes: string[] = [];
  return { writes, write: (chunk: string | Uint8Array) => (writes.push(Buffer.from(chunk).toString()), accept) };
}

describe('the line writer', () => {
  it('writes whole prefixed lines only, joining lines split across chunks', () => {
    const out = output();
    const lines = createLineWriter(out, '[1/2] ');
    lines.write(Buffer.from('hel'));
    expect(out.writes).toEqual([]);
    lines.write(Buffer.from('lo\nwor'));
    lines.write(Buffer.from('ld\n\nlast'));
    lines.end();
    expect(out.writes).toEqual(['[1/2] hello\n', '[1/2] world\n', '[1/2] \n', '[1/2] last\n']);
  });

  it('never splits a UTF-8 character cut between chunks', () => {
    const out = output();
    const lines = createLineWriter(out, '> ');
    const bytes = Buffer.from('héllo\n');
    lines.write(bytes.subarray(0, 2));
    lines.write(bytes.subarray(2));
    expect(out.writes).toEqual(['> héllo\n']);
  });

  it('cuts a line longer than the limit into prefixed pieces', () => {
    const out = output();
    const lines = createLineWriter(out, '> ', 4);
    lines.write(Buffer.from('abcdefghij\nxy'));
    lines.end();
    expect(out.writes).toEqual(['> abcd\n', '> efgh\n', '> ij\n', '> xy\n']);
  });

  it('writes nothing at the end when the last line had its newline', () => {
    const out = output();
    const lines = createLineWriter(out, '> ');
    lines.write(Buffer.from('done\n'));
    lines.end();
    expect(out.writes).toEqual(['> done\n']);
  });

  it('reports when the output asks to slow down', () => {
    const lines = createLineWriter(output(false), '> ');
    expect(lines.write(Buffer.from('partial'))).toBe(true);
    expect(lines.write(Buffer.from(' line\n'))).toBe(false);
  });
});
