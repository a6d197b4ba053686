import { describe, expect, it } from 'vitest';
import { formatMemory, parseMemory } from './units.js';

describe('parseMemory', () => {
  it.each([
    ['512M', 512e6],
    ['4G', 4e9],
    ['4g', 4e9],
    ['2Gi', 2 * 1024 ** 3],
    ['100Mi', 100 * 1024 ** 2],
    ['1.5K', 1500],
    ['1024', 1024],
    ['50MB', 50e6],
  ])('parses %s', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });

  it.each(['12Q', '', 'M', '-1G', '0', '1e9', '5P', 'ten'])('rejects %j', (text) => {
    expect(parseMemory(text)).toBeNull();
  });

  it('formats with 1000-based units', () => {
    expect(formatMemory(512e6)).toBe('512M');
    expect(formatMemory(1.5e9)).toBe('1.5G');
    expect(formatMemory(999)).toBe('999B');
  });
});
