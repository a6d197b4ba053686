import { describe, expect, it } from 'vitest';
import { parseOrThrow } from './errors.js';
import { envNameProblem, TarCreateEventSchema, TARBALL_FILE_PATTERN, TerminalQuerySchema } from './envs.js';
import { HostConfigSchema } from './config.js';

describe('env names', () => {
  it.each(['default', 'py3.11', 'a', 'cuda_12-x', '0env', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(envNameProblem(name)).toBeNull();
  });
  it.each(['', 'NULL', 'a/b', 'a..b', '..', 'has space', 'Upper', '-lead', '.hidden', 'x'.repeat(65), 'a\0b'])(
    'refuses %j',
    (name) => {
      expect(envNameProblem(name)).toEqual(expect.any(String));
    },
  );
});

describe('tarball files', () => {
  it('only finished <unix-ts>.tar names match', () => {
    expect(TARBALL_FILE_PATTERN.exec('1700000000.tar')?.[1]).toBe('1700000000');
    expect(TARBALL_FILE_PATTERN.test('.1700000000.tar.tmp-1')).toBe(false);
    expect(TARBALL_FILE_PATTERN.test('1700000000.json')).toBe(false);
  });
});

describe('terminal query', () => {
  it('parses a JSON argv and defaults the size', () => {
    expect(parseOrThrow(TerminalQuerySchema, { command: '["ls","-l"]' }, 'query')).toEqual({
      cols: 80,
      rows: 24,
      command: ['ls', '-l'],
    });
  });
  it('refuses a command that is not a JSON argv', () => {
    expect(() => parseOrThrow(TerminalQuerySchema, { command: 'ls -l' }, 'query')).toThrow(/JSON array/);
  });
});

describe('tar create events', () => {
  it('parses a done line', () => {
    const done = {
      type: 'done',
      name: 'e',
      tarball: { version: 1, bytes: 2, createdAt: 3, imageId: null },
      removed: [],
    };
    expect(TarCreateEventSchema.parse(done)).toEqual(done);
  });
});

describe('host config', () => {
  it('takes the mount allow-list as an array or as comma-separated text', () => {
    expect(HostConfigSchema.parse({ mount_allow_list: '/data, /scratch' }).mount_allow_list).toEqual([
      '/data',
      '/scratch',
    ]);
    expect(HostConfigSchema.parse({ mount_allow_list: ['/data'] }).mount_allow_list).toEqual(['/data']);
    expect(() => HostConfigSchema.parse({ mount_allow_list: ['data'] })).toThrow();
  });
});
