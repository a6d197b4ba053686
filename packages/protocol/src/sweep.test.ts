import { describe, expect, it } from 'vitest';
import { expandSweep, hasSpans, spanValues, sweepSize, SweepSyntaxError } from './sweep.js';

describe('sweeps', () => {
  it('expands ranges, lists and plain arguments', () => {
    expect(spanValues('span:{1..3}')).toEqual(['1', '2', '3']);
    expect(spanValues('span:{3..1}')).toEqual(['3', '2', '1']);
    expect(spanValues('span:{-1..1}')).toEqual(['-1', '0', '1']);
    expect(spanValues('span:[0.1,0.01]')).toEqual(['0.1', '0.01']);
    expect(spanValues('plain')).toEqual(['plain']);
  });

  it('builds the Cartesian product, the first span varying slowest', () => {
    const argv = ['python', 'train.py', '--lr', 'span:[0.1,0.01]', '--seed', 'span:{1..3}'];
    expect(hasSpans(argv)).toBe(true);
    expect(sweepSize(argv)).toBe(6);
    expect(expandSweep(argv).map((command) => `${command[3]}/${command[5]}`)).toEqual([
      '0.1/1',
      '0.1/2',
      '0.1/3',
      '0.01/1',
      '0.01/2',
      '0.01/3',
    ]);
    expect(expandSweep(['echo', 'hi'])).toEqual([['echo', 'hi']]);
  });

  it.each(['span:', 'span:{1..}', 'span:{a..b}', 'span:[a,,b]', 'span:[]', 'span:(1,2)'])('refuses %s', (argument) => {
    expect(() => spanValues(argument)).toThrow(SweepSyntaxError);
  });

  it('refuses sweeps over the size limit', () => {
    expect(() => expandSweep(['x', 'span:{1..200}', 'span:{1..200}'])).toThrow(/at most 10000/);
  });
});
