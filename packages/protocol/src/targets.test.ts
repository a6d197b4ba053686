import { describe, expect, it } from 'vitest';
import { formatTarget, parseTarget } from './targets.js';

describe('parseTarget', () => {
  it.each([
    ['node1', { node: 'node1', numa: null, gpus: [] }],
    ['node1:0', { node: 'node1', numa: 0, gpus: [] }],
    ['node1::0,1,3', { node: 'node1', numa: null, gpus: [0, 1, 3] }],
    ['gpu-box.lab:1::2', { node: 'gpu-box.lab', numa: 1, gpus: [2] }],
  ])('parses %s', (text, expected) => {
    expect(parseTarget(text)).toEqual(expected);
    expect(formatTarget(expected)).toBe(text);
  });

  it.each([
    '',
    'node:x',
    '::',
    'node::a',
    'node::',
    'node:',
    ':0',
    'node::1,1',
    'node:0:1',
    '-node',
    'node::1,',
    'a b',
  ])('rejects %j', (text) => {
    expect(parseTarget(text)).toBeNull();
  });
});
