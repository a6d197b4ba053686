import { describe, expect, it } from 'vitest';
import { PREVIEW_COMMANDS, previewSweep } from './sweep-preview';

describe('previewSweep', () => {
  it('says nothing for a command without spans', () => {
    expect(previewSweep(['echo', 'hello'], 0)).toEqual({ kind: 'none' });
  });

  it('counts commands and tasks and lists the first commands, the first span slowest', () => {
    const preview = previewSweep(['echo', 'span:{1..3}', 'span:[a,b]'], 2);
    expect(preview).toMatchObject({ kind: 'sweep', commands: 6, tasks: 12 });
    if (preview.kind !== 'sweep') throw new Error('not a sweep');
    expect(preview.first.slice(0, 3)).toEqual([
      ['echo', '1', 'a'],
      ['echo', '1', 'b'],
      ['echo', '2', 'a'],
    ]);
  });

  it('lists at most PREVIEW_COMMANDS commands', () => {
    const preview = previewSweep(['echo', 'span:{1..100}'], 0);
    expect(preview).toMatchObject({ kind: 'sweep', commands: 100, tasks: 100 });
    if (preview.kind === 'sweep') expect(preview.first).toHaveLength(PREVIEW_COMMANDS);
  });

  it('reports a malformed span as the host would', () => {
    expect(previewSweep(['echo', 'span:{1..}'], 0)).toEqual({
      kind: 'error',
      error: expect.stringContaining('span:{1..} is not a span') as string,
    });
    expect(previewSweep(['echo', 'span:[a,,b]'], 0)).toMatchObject({ kind: 'error' });
  });

  it('refuses more than 10,000 commands, or tasks with the targets', () => {
    expect(previewSweep(['x', 'span:{1..200}', 'span:{1..200}'], 0)).toEqual({
      kind: 'error',
      error: 'the sweep expands to 40000 commands; at most 10000',
    });
    expect(previewSweep(['x', 'span:{1..6000}'], 2)).toMatchObject({
      kind: 'error',
      error: expect.stringContaining('12000 tasks') as string,
    });
  });
});
