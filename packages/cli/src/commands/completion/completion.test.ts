import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../program.js';
import { collector, runWith, tempHomes } from '../../test-support.js';

const homes = tempHomes('kawa-completion-test-');
afterEach(homes.removeAll);
const run = promisify(execFile);

/** What bash completes for `words` (the last one being typed) with the generated script. */
async function bashComplete(script: string, words: string[]): Promise<string[]> {
  const file = join(homes.make(), 'kawa.bash');
  writeFileSync(file, script);
  const array = words.map((word) => `'${word}'`).join(' ');
  const { stdout } = await run('bash', [
    '-c',
    `source '${file}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _kawa_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ]);
  return stdout.split('\n').filter((line) => line !== '');
}

describe('kawa completion', () => {
  it('bash: completes commands, subcommands and flags from the program tree', async () => {
    const result = await runWith(['completion', 'bash']);
    expect(result.code, result.stderr).toBe(0);
    expect(await bashComplete(result.stdout, ['kawa', 'ta'])).toEqual(['task']);
    expect(await bashComplete(result.stdout, ['kawa', 'task', 'sub'])).toEqual(['submit']);
    expect(await bashComplete(result.stdout, ['kawa', 'task', 'submit', '--cor'])).toEqual(['--cores']);
    expect(await bashComplete(result.stdout, ['kawa', 'init', ''])).toEqual(
      expect.arrayContaining(['config', 'service', '--help']),
    );
    // A flag's value is not taken for a subcommand: `--config task` stays at the top level.
    expect(await bashComplete(result.stdout, ['kawa', '--config', 'task', 'no'])).toEqual(['node']);
  });

  it('offers every command and subcommand of the program, so it cannot drift', async () => {
    const result = await runWith(['completion', 'bash']);
    const program = buildProgram({ stdout: collector(), stderr: collector(), env: {}, cwd: '/', isTTY: false });
    expect((await bashComplete(result.stdout, ['kawa', ''])).filter((word) => !word.startsWith('-')).sort()).toEqual(
      program.commands.map((command) => command.name()).sort(),
    );
    for (const command of program.commands.filter((candidate) => candidate.commands.length > 0)) {
      const offered = await bashComplete(result.stdout, ['kawa', command.name(), '']);
      expect(offered.filter((word) => !word.startsWith('-')).sort(), command.name()).toEqual(
        command.commands.map((child) => child.name()).sort(),
      );
    }
  });

  it('includes commands added after the built-in ones (the daemons), since it reads the tree when run', async () => {
    const extra = (program: Command): void => {
      program.command('up').option('--runner-name <name>', 'node name');
    };
    const result = await runWith(['completion', 'bash'], { extra });
    expect(await bashComplete(result.stdout, ['kawa', 'up', '--runner'])).toEqual(['--runner-name']);
  });

  it('zsh: loads the same function through bashcompinit', async () => {
    const result = await runWith(['completion', 'zsh']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(0, 1)).toEqual(['#compdef kawa']);
    expect(result.stdout).toContain('bashcompinit');
    expect(result.stdout).toContain('complete -o default -F _kawa_completion kawa');
  });

  it('fish: one complete line per subcommand and flag, guarded by the command path', async () => {
    const result = await runWith(['completion', 'fish']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^complete -c kawa -n 'test \(__kawa_path\) = \\'task\\'' -a submit -d /m);
    expect(result.stdout).toMatch(
      /^complete -c kawa -n 'test \(__kawa_path\) = \\'task submit\\'' -l cores -s c -r -d /m,
    );
  });

  it('refuses a shell it does not know with a usage error', async () => {
    const result = await runWith(['completion', 'tcsh']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KAWA_ERR_USAGE');
  });
});
