import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { finishWriting, loggedBytes, SkipBytes } from './log-resume.js';

/** A slow sink that keeps what it gets and answers "full" to every write, so backpressure is exercised. */
function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const target = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setImmediate(callback);
    },
  });
  return Object.assign(target, { text: () => Buffer.concat(chunks).toString() });
}

describe('resuming a log after a runner restart', () => {
  it('drops exactly the bytes the file already holds, across chunk boundaries', async () => {
    const target = sink();
    const skipping = new SkipBytes(target, 7);
    for (const chunk of ['1\n2\n', '3\n4\n', '5\n', '6\n']) skipping.write(Buffer.from(chunk));
    await finishWriting(skipping);
    // '1\n2\n3\n4' is in the file already; the rest follows.
    expect(target.text()).toBe('\n5\n6\n');
  });

  it('passes everything on when nothing was written before, and nothing when all was', async () => {
    const all = sink();
    const none = sink();
    const fromStart = new SkipBytes(all, 0);
    const pastEnd = new SkipBytes(none, 100);
    for (const chunk of ['a\n', 'b\n']) {
      fromStart.write(Buffer.from(chunk));
      pastEnd.write(Buffer.from(chunk));
    }
    await Promise.all([finishWriting(fromStart), finishWriting(pastEnd)]);
    expect(all.text()).toBe('a\nb\n');
    expect(none.text()).toBe('');
  });

  it('measures what the log files hold (0 for a missing one)', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'kawa-resume-'));
    try {
      const dir = join(shared, 'logs', '5');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'stdout.log'), 'hello\n');
      expect(await loggedBytes(shared, 5)).toEqual({ stdout: 6, stderr: 0 });
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });
});
