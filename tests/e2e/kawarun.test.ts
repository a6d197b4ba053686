import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from './support/cluster.js';
import { collectOutput, exitOf } from './support/process.js';

/** The installed bin: the committed shim that loads the build. */
const KAWARUN_BIN = fileURLToPath(new URL('../../packages/kawa/bin/kawarun.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'kawarun-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(join(dir, 'demo.py'), 'import sys\nprint(sys.argv[1:])\n');
writeFileSync(
  join(dir, 'sweeps.py'),
  [
    'import os, sys',
    'def train(lr, seed):',
    '    print(f"lr={lr!r} seed={seed!r} argv={sys.argv} run={os.environ[\'KAWARUN_RUN\']}")',
    '    return 3 if seed == "2" else None',
    '',
  ].join('\n'),
);

function kawarun(args: string[]) {
  const child = spawn(process.execPath, [KAWARUN_BIN, ...args], { cwd: dir, env: process.env });
  return { child, output: collectOutput(child), exit: exitOf(child, 30_000, `kawarun ${args.join(' ')}`) };
}

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const started = kawarun(args);
  const code = await started.exit;
  return { code, stdout: started.output.stdout(), stderr: started.output.stderr() };
}

describe('kawarun', () => {
  it('runs python demo.py over all 4 combinations, in parallel, each line prefixed', async () => {
    const result = await run(['--parallel', 'python', 'demo.py', 'span:{1..2}', 'fixed', 'span:[a,b]']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n').sort()).toEqual([
      "[1/4 1 a] ['1', 'fixed', 'a']",
      "[2/4 1 b] ['1', 'fixed', 'b']",
      "[3/4 2 a] ['2', 'fixed', 'a']",
      "[4/4 2 b] ['2', 'fixed', 'b']",
    ]);
    expect(result.stderr).toBe('4 runs: 4 ok\n');
  });

  it('calls a module:function with the arguments as strings; its return value is the exit status', async () => {
    const result = await run(['--parallel', '2', 'sweeps:train', 'span:[0.1,0.01]', 'span:{1..2}']);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().split('\n').sort()).toEqual([
      "[1/4 0.1 1] lr='0.1' seed='1' argv=['sweeps:train', '0.1', '1'] run=1",
      "[2/4 0.1 2] lr='0.1' seed='2' argv=['sweeps:train', '0.1', '2'] run=2",
      "[3/4 0.01 1] lr='0.01' seed='1' argv=['sweeps:train', '0.01', '1'] run=3",
      "[4/4 0.01 2] lr='0.01' seed='2' argv=['sweeps:train', '0.01', '2'] run=4",
    ]);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe('4 runs: 2 ok, 2 failed (run 2: exit 3, run 4: exit 3)');
  });

  it('runs a module of the working directory with python -m, naming each span after its flag', async () => {
    const result = await run(['demo', '--lr', 'span:[0.1,0.01]', '--seed', 'span:{2..1}']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      "[1/4 lr=0.1 seed=2] ['--lr', '0.1', '--seed', '2']\n" +
        "[2/4 lr=0.1 seed=1] ['--lr', '0.1', '--seed', '1']\n" +
        "[3/4 lr=0.01 seed=2] ['--lr', '0.01', '--seed', '2']\n" +
        "[4/4 lr=0.01 seed=1] ['--lr', '0.01', '--seed', '1']\n",
    );
  });

  it('prints the commands with --dry-run, and refuses a bad span with exit 2 before running anything', async () => {
    const dry = await run(['--dry-run', 'demo', 'span:[x,y z]']);
    expect(dry).toEqual({ code: 0, stdout: "python -m demo x\npython -m demo 'y z'\n", stderr: '' });
    const bad = await run(['python', 'demo.py', 'span:{1..']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error: span:\{1\.\. is not a span.+\(KAWA_ERR_BAD_SWEEP\)\n$/);
  });

  it('stops its runs on Ctrl-C and exits 130', async () => {
    const started = kawarun(['--parallel', 'sh', '-c', 'echo up; sleep "$0"', 'span:[30,31]']);
    for (let round = 0; round < 100 && (started.output.stdout().match(/up/g) ?? []).length < 2; round += 1)
      await sleep(50);
    expect(started.output.stdout()).toMatch(/\[1\/2 30\] up\n/);
    const sent = Date.now();
    started.child.kill('SIGINT');
    expect(await started.exit).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(started.output.stderr()).toBe('2 runs: 0 ok, 2 stopped\n');
  });
});
