import { describe, expect, it } from 'vitest';
import { collector } from '../test-support.js';
import { formatAmount, formatBytes } from './format.js';
import { createByteProgress, createOccasionalLines, describeBytes, renderBar } from './progress-bar.js';

describe('byte formatting', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_500, '1.5 kB'],
    [312e6, '312 MB'],
    [1e9, '1.0 GB'],
    [12.34e12, '12.3 TB'],
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('gives done / total with a percent, capped at 100 for an estimate that was passed', () => {
    expect(formatAmount(312e6, 1e9)).toBe('312 MB / 1.0 GB (31%)');
    expect(formatAmount(1.2e9, 1e9)).toBe('1.2 GB / 1.0 GB (100%)');
    expect(formatAmount(5e6, null)).toBe('5.0 MB');
  });
});

describe('progress lines', () => {
  it('draws a bar only when the total is known, and only the label before anything is measured', () => {
    expect(renderBar(1, 4, 8)).toBe('██░░░░░░');
    expect(renderBar(9, 4, 8)).toBe('████████');
    expect(describeBytes('saving', 250, 1000, true)).toBe('saving █████░░░░░░░░░░░░░░░ 250 B / 1.0 kB (25%)');
    expect(describeBytes('saving', 250, null, true)).toBe('saving 250 B');
    expect(describeBytes('committing', 0, null, true)).toBe('committing');
  });

  it('prints a plain line per new key, and the same key again only after the interval', () => {
    const output = collector();
    let now = 0;
    const print = createOccasionalLines(output, 5_000, () => now);
    print('save', 'a');
    now = 4_999;
    print('save', 'b');
    now = 5_000;
    print('save', 'c');
    print('load', 'd');
    expect(output.text()).toBe('a\nc\nd\n');
  });

  it('redraws one line on a TTY and clears it when done', () => {
    const output = collector();
    const progress = createByteProgress(output, { tty: true });
    progress.update('saving', 1, 2);
    progress.update('saving', 2, 2);
    progress.done();
    expect(output.text()).toBe(
      `\r\u001b[2Ksaving ${'█'.repeat(10)}${'░'.repeat(10)} 1 B / 2 B (50%)` +
        `\r\u001b[2Ksaving ${'█'.repeat(20)} 2 B / 2 B (100%)\r\u001b[2K`,
    );
  });
});
