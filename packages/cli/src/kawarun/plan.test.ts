import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { planRuns, prefixOf } from './plan.js';

const python = { kind: 'executable', command: 'python' } as const;

describe('kawarun runs', () => {
  it('makes the Cartesian product in sweep order, each run labelled with its span values', () => {
    const runs = planRuns(python, ['demo.py', 'span:{1..2}', 'fixed', 'span:[a,b]']);
    expect(runs.map((run) => run.argv)).toEqual([
      ['python', 'demo.py', '1', 'fixed', 'a'],
      ['python', 'demo.py', '1', 'fixed', 'b'],
      ['python', 'demo.py', '2', 'fixed', 'a'],
      ['python', 'demo.py', '2', 'fixed', 'b'],
    ]);
    expect(runs.map(prefixOf)).toEqual(['[1/4 1 a] ', '[2/4 1 b] ', '[3/4 2 a] ', '[4/4 2 b] ']);
  });

  it('names a span after the flag before it, and pads the index to line the prefixes up', () => {
    const runs = planRuns(python, ['t.py', '--lr', 'span:[0.1,0.01]', '-s', 'span:{1..6}', '--x=1', 'span:[q]']);
    expect(runs).toHaveLength(12);
    expect(prefixOf(runs[0]!)).toBe('[ 1/12 lr=0.1 s=1 q] ');
    expect(prefixOf(runs[11]!)).toBe('[12/12 lr=0.01 s=6 q] ');
  });

  it('makes one run without spans', () => {
    const runs = planRuns(python, ['x.py', 'a']);
    expect(runs).toEqual([{ index: 1, total: 1, argv: ['python', 'x.py', 'a'], label: '' }]);
    expect(prefixOf(runs[0]!)).toBe('[1/1] ');
  });

  it.each([['span:{1..}'], ['span:[a,,b]'], ['span:nope']])('refuses %s with KAWA_ERR_BAD_SWEEP', (span) => {
    expect(() => planRuns(python, [span])).toThrow(UsageError);
    expect(() => planRuns(python, [span])).toThrow(expect.objectContaining({ code: 'KAWA_ERR_BAD_SWEEP' }));
  });
});
