import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { parseKawarunArgs } from './args.js';

describe('kawarun arguments', () => {
  it('runs one at a time without --parallel and hands everything after TARGET to it', () => {
    expect(parseKawarunArgs(['python', 'demo.py', '--parallel', '-h', 'span:{1..2}'])).toMatchObject({
      parallel: 1,
      target: 'python',
      args: ['demo.py', '--parallel', '-h', 'span:{1..2}'],
    });
  });

  it.each([
    [['--parallel', 'python', 'x'], null, 'python'],
    [['--parallel', '4', 'python'], 4, 'python'],
    [['-p', '2', 'echo'], 2, 'echo'],
    [['--parallel=8', 'echo'], 8, 'echo'],
    [['--parallel', '--dry-run', 'echo'], null, 'echo'],
  ])('reads %j as parallel %s and target %s', (argv, parallel, target) => {
    expect(parseKawarunArgs(argv)).toMatchObject({ parallel, target });
  });

  it('reads --dry-run, --json, --help and --version, and -- before a TARGET that starts with "-"', () => {
    expect(parseKawarunArgs(['-n', '--json', 'echo'])).toMatchObject({ dryRun: true, json: true, target: 'echo' });
    expect(parseKawarunArgs(['--help'])).toMatchObject({ help: true, target: undefined });
    expect(parseKawarunArgs(['-V'])).toMatchObject({ version: true });
    expect(parseKawarunArgs(['--', '-weird', 'a'])).toMatchObject({ target: '-weird', args: ['a'] });
  });

  it.each([
    [['--bogus', 'echo'], "unknown option '--bogus'"],
    [['--parallel=0', 'echo'], '--parallel takes a whole number from 1 to 1024, got "0"'],
    [['--parallel=x', 'echo'], 'got "x"'],
    [['--parallel', '5000', 'echo'], 'got "5000"'],
    [[], 'no TARGET'],
    [['--parallel'], 'no TARGET'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseKawarunArgs(argv)).toThrow(UsageError);
    expect(() => parseKawarunArgs(argv)).toThrow(message);
  });
});
