import { describe, expect, it } from 'vitest';
import { parseEnvLines, splitCommand } from './argv';

describe('splitCommand', () => {
  it.each([
    ['echo hello', ['echo', 'hello']],
    ['  python  train.py\t--epochs 3 ', ['python', 'train.py', '--epochs', '3']],
    [`sh -c 'echo "$HOME"; exit 3'`, ['sh', '-c', 'echo "$HOME"; exit 3']],
    [`echo "a \\"b\\" \\$c \\d"`, ['echo', 'a "b" $c \\d']],
    ['echo a\\ b', ['echo', 'a b']],
    [`echo '' ""`, ['echo', '', '']],
    ['echo it"s"x', ['echo', 'itsx']],
    ['ls *.txt | wc', ['ls', '*.txt', '|', 'wc']],
    ['', []],
  ])('%s', (line, argv) => {
    expect(splitCommand(line)).toEqual({ ok: true, argv });
  });

  it.each([
    [`echo 'open`, /' quote is not closed/],
    ['echo "open', /" quote is not closed/],
    ['echo \\', /lone backslash/],
  ])('refuses %s', (line, message) => {
    const result = splitCommand(line);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe('parseEnvLines', () => {
  it('reads NAME=value lines, keeps = in values, skips blanks and comments', () => {
    expect(parseEnvLines('A=1\n\n# note\nB=x=y\nEMPTY=\n')).toEqual({ ok: true, env: { A: '1', B: 'x=y', EMPTY: '' } });
  });

  it('names the line without a name', () => {
    expect(parseEnvLines('A=1\n=2')).toEqual({ ok: false, error: 'line 2: write NAME=value' });
  });
});
