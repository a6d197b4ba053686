import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProcStat } from './proc-stat.js';

describe('readProcStat', () => {
  it('reads the state and start time, even with spaces and parentheses in the command name', async () => {
    const procRoot = await mkdtemp(join(tmpdir(), 'kawa-proc-'));
    try {
      await mkdir(join(procRoot, '42'));
      // Fields 1–22 as the kernel writes them; the name is `a) (b c`.
      const fields = [
        'S',
        '1',
        '42',
        '42',
        '0',
        '-1',
        '4194560',
        '0',
        '0',
        '0',
        '0',
        '0',
        '0',
        '0',
        '0',
        '20',
        '0',
        '1',
        '0',
        '987654',
      ];
      await writeFile(join(procRoot, '42', 'stat'), `42 (a) (b c) ${fields.join(' ')} 1000 2000\n`);
      expect(await readProcStat(42, procRoot)).toEqual({ state: 'S', startTime: '987654' });
      expect(await readProcStat(43, procRoot)).toBeNull();
    } finally {
      await rm(procRoot, { recursive: true, force: true });
    }
  });

  it('reads the real /proc: this process is running and has a start time', async () => {
    const stat = await readProcStat(process.pid);
    expect(stat?.startTime).toMatch(/^\d+$/);
    expect(['R', 'S']).toContain(stat?.state);
  });
});
