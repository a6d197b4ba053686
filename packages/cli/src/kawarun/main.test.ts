import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { collector } from '../test-support.js';
import type { RunProcess, SpawnProcess } from './execute.js';
import { runKawarun, type KawarunIo } from './main.js';
import type { TargetSystem } from './target.js';

/** A child process driven by the test: it writes what `script` says and ends when told. */
class FakeChild extends EventEmitter implements RunProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: NodeJS.Signals[] = [];
  constructor(
    readonly argv: string[],
    readonly env: Readonly<Record<string, string | undefined>>,
    private readonly onSignal: (child: FakeChild, signal: NodeJS.Signals) => void,
  ) {
    super();
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    this.onSignal(this, signal);
    return true;
  }
  /** Ends both streams, then reports the exit as node does: after the streams close. */
  async finish(code: number | null, signal: NodeJS.Signals | null = null): Promise<void> {
    const closed = [once(this.stdout, 'close'), once(this.stderr, 'close')];
    this.stdout.end();
    this.stderr.end();
    await Promise.all(closed);
    this.emit('close', code, signal);
  }
}

/** A spawn whose children run `behaviour`; by default a child ends at once when signalled. */
function fakeSpawn(
  behaviour: (child: FakeChild) => void,
  onSignal: (child: FakeChild, signal: NodeJS.Signals) => void = (child, signal) => void child.finish(null, signal),
): { spawn: SpawnProcess; children: FakeChild[]; running: () => number; maxRunning: () => number } {
  const children: FakeChild[] = [];
  let running = 0;
  let maxRunning = 0;
  const spawn: SpawnProcess = (file, args, options) => {
    const child = new FakeChild([file, ...args], options.env, onSignal);
    children.push(child);
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    child.once('close', () => (running -= 1));
    setImmediate(() => behaviour(child));
    return child;
  };
  return { spawn, children, running: () => running, maxRunning: () => maxRunning };
}

/** A machine where only `echo` (and python) is on PATH. */
const system: TargetSystem = {
  cwd: '/work/project',
  path: '/usr/bin',
  isFile: (path) => ['/usr/bin/echo', '/usr/bin/python'].includes(path),
  isExecutableFile: (path) => ['/usr/bin/echo', '/usr/bin/python'].includes(path),
  canImport: (_python, module) => Promise.resolve(module === 'mymod'),
};

async function kawarun(argv: string[], io: Partial<KawarunIo> = {}) {
  const stdout = collector();
  const stderr = collector();
  const code = await runKawarun(argv, {
    stdout,
    stderr,
    env: { PATH: '/usr/bin' },
    cwd: '/work/project',
    system,
    cpuCount: 3,
    ...io,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('kawarun, in-process', () => {
  it('runs one at a time without --parallel, and all at once up to N with it', async () => {
    const behaviour = (child: FakeChild): void => void sleep(20).then(() => child.finish(0));
    const sequential = fakeSpawn(behaviour);
    expect((await kawarun(['echo', 'span:{1..4}'], { spawn: sequential.spawn })).code).toBe(0);
    expect(sequential.maxRunning()).toBe(1);
    const two = fakeSpawn(behaviour);
    expect((await kawarun(['--parallel', '2', 'echo', 'span:{1..5}'], { spawn: two.spawn })).code).toBe(0);
    expect(two.maxRunning()).toBe(2);
    const cpus = fakeSpawn(behaviour);
    const run = await kawarun(['--parallel', 'echo', 'span:{1..7}'], { spawn: cpus.spawn });
    expect(cpus.maxRunning()).toBe(3);
    expect(cpus.children.map((child) => child.argv)).toEqual(
      Array.from({ length: 7 }, (_, index) => ['echo', String(index + 1)]),
    );
    expect(run.stderr).toBe('7 runs: 7 ok\n');
  });

  it('prefixes every line with its run and never mixes lines of parallel runs', async () => {
    const fake = fakeSpawn((child) => {
      const tag = child.argv[2] ?? '';
      void (async () => {
        child.stdout.write(`${tag}-first `);
        await sleep(5);
        child.stderr.write(`${tag}-warning\n`);
        child.stdout.write(`half\n${tag}-second`);
        await sleep(5);
        await child.finish(0);
      })();
    });
    const run = await kawarun(['--parallel', '2', 'echo', '--name', 'span:[a,b]'], { spawn: fake.spawn });
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').sort()).toEqual([
      '',
      '[1/2 name=a] a-first half',
      '[1/2 name=a] a-second',
      '[2/2 name=b] b-first half',
      '[2/2 name=b] b-second',
    ]);
    expect(
      run.stderr
        .split('\n')
        .filter((line) => line.includes('warning'))
        .sort(),
    ).toEqual(['[1/2 name=a] a-warning', '[2/2 name=b] b-warning']);
  });

  it('gives each run KAWARUN_RUN, KAWARUN_RUNS and unbuffered Python output', async () => {
    const fake = fakeSpawn((child) => void child.finish(0));
    await kawarun(['echo', 'span:[x,y]'], { spawn: fake.spawn, env: { PATH: '/usr/bin', KEEP: 'me' } });
    expect(fake.children.map((child) => [child.env.KAWARUN_RUN, child.env.KAWARUN_RUNS])).toEqual([
      ['1', '2'],
      ['2', '2'],
    ]);
    expect(fake.children[0]?.env).toMatchObject({ KEEP: 'me', PYTHONUNBUFFERED: '1' });
  });

  it('exits 1 and sums up the failures, naming each one as it ends', async () => {
    const fake = fakeSpawn((child) => {
      const value = child.argv[1];
      if (value === '2') void child.finish(3);
      else if (value === '4') void child.finish(null, 'SIGKILL');
      else void child.finish(0);
    });
    const run = await kawarun(['echo', 'span:{1..4}'], { spawn: fake.spawn });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      '[2/4 2] failed: exit 3\n[4/4 4] failed: killed by SIGKILL\n' +
        '4 runs: 2 ok, 2 failed (run 2: exit 3, run 4: killed by SIGKILL)\n',
    );
  });

  it('counts a run that could not start as failed', async () => {
    const spawn: SpawnProcess = () => {
      throw new Error('spawn echo EACCES');
    };
    const run = await kawarun(['echo', 'x'], { spawn });
    expect(run).toMatchObject({ code: 1 });
    expect(run.stderr).toContain('1 run: 0 ok, 1 failed (run 1: could not start: spawn echo EACCES)');
  });

  it('names at most five failures', async () => {
    const fake = fakeSpawn((child) => void child.finish(1));
    const run = await kawarun(['echo', 'span:{1..8}'], { spawn: fake.spawn });
    expect(run.stderr).toContain('8 runs: 0 ok, 8 failed (run 1: exit 1, run 2: exit 1, run 3: exit 1, ');
    expect(run.stderr).toContain('run 5: exit 1, 3 more)\n');
  });

  it('stops the runs with SIGTERM when interrupted, starts no more, and exits 130', async () => {
    const stop = new AbortController();
    const fake = fakeSpawn(() => undefined);
    const done = kawarun(['--parallel', '2', 'echo', 'span:{1..5}'], { spawn: fake.spawn, signal: stop.signal });
    for (let tries = 0; tries < 100 && fake.running() < 2; tries += 1) await sleep(5);
    stop.abort('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(fake.children).toHaveLength(2);
    expect(fake.children.map((child) => child.signals)).toEqual([['SIGTERM'], ['SIGTERM']]);
    expect(run.stderr).toBe('5 runs: 0 ok, 2 stopped, 3 not started\n');
  });

  it('kills a run that ignores SIGTERM after the grace time, and exits 143 on SIGTERM', async () => {
    const stop = new AbortController();
    const fake = fakeSpawn(
      () => undefined,
      (child, signal) => {
        if (signal === 'SIGKILL') void child.finish(null, 'SIGKILL');
      },
    );
    const done = kawarun(['echo', 'x'], { spawn: fake.spawn, signal: stop.signal, graceMs: 50 });
    for (let tries = 0; tries < 100 && fake.running() < 1; tries += 1) await sleep(5);
    stop.abort('SIGTERM');
    const run = await done;
    expect(run.code).toBe(143);
    expect(fake.children[0]?.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(run.stderr).toBe('1 run: 0 ok, 1 stopped\n');
  });

  it('prints a JSON summary with --json, the runs’ output going to stderr', async () => {
    const fake = fakeSpawn((child) => {
      child.stdout.write('out\n');
      void child.finish(child.argv[1] === 'b' ? 2 : 0);
    });
    const run = await kawarun(['--json', 'echo', 'span:[a,b]'], { spawn: fake.spawn });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      runs: [
        { index: 1, argv: ['echo', 'a'], label: 'a', status: 'ok', exitCode: 0, signal: null, error: null },
        { index: 2, argv: ['echo', 'b'], label: 'b', status: 'failed', exitCode: 2 },
      ],
      ok: 1,
      failed: 1,
      stopped: 0,
      notStarted: 0,
    });
    expect(run.stderr).toContain('[1/2 a] out\n');
  });

  it('prints the commands with --dry-run and runs nothing', async () => {
    const fake = fakeSpawn((child) => void child.finish(0));
    const plain = await kawarun(['--dry-run', 'echo', 'it is', 'span:{1..2}'], { spawn: fake.spawn });
    expect(plain).toEqual({ code: 0, stdout: "echo 'it is' 1\necho 'it is' 2\n", stderr: '' });
    const fn = await kawarun(['-n', 'mymod:main', 'span:[a,b]'], { spawn: fake.spawn });
    expect(fn.stdout).toBe("python -c '<launcher>' mymod main a\npython -c '<launcher>' mymod main b\n");
    const json = await kawarun(['-n', '--json', 'echo', 'span:[a,b]'], { spawn: fake.spawn });
    expect(JSON.parse(json.stdout)).toEqual({
      runs: [
        { index: 1, argv: ['echo', 'a'], label: 'a' },
        { index: 2, argv: ['echo', 'b'], label: 'b' },
      ],
    });
    expect(fake.children).toHaveLength(0);
  });

  it('prints help and version', async () => {
    const help = await kawarun(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kawarun \[--parallel \[N\]\]/);
    expect(help.stdout).toContain('one per CPU (3 here)');
    for (const line of help.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect((await kawarun(['--version'])).stdout).toMatch(/^kawarun \d+\.\d+\.\d+\n$/);
  });

  it.each([
    [['--parallel=0', 'echo'], 'KAWA_ERR_USAGE'],
    [['echo', 'span:{1..x}'], 'KAWA_ERR_BAD_SWEEP'],
    [['nosuchtool', 'a'], 'KAWA_ERR_USAGE'],
    [[], 'KAWA_ERR_USAGE'],
  ])('refuses %j with %s and exit 2, running nothing', async (argv, code) => {
    const fake = fakeSpawn((child) => void child.finish(0));
    const run = await kawarun(argv, { spawn: fake.spawn });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^error: .+ \\(${code}\\)\\n$`));
    expect(fake.children).toHaveLength(0);
  });
});

describe('kawarun, real processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kawarun-unit-'));
  writeFileSync(join(dir, 'demo.py'), 'import sys\nprint(sys.argv[1:])\n');
  writeFileSync(
    join(dir, 'mymod.py'),
    'import sys\ndef main(*args):\n    print("main", list(args), sys.argv)\n    return 4 if "bad" in args else None\n',
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const real = (argv: string[], io: Partial<KawarunIo> = {}) =>
    kawarun(argv, { cwd: dir, env: process.env, system: undefined, spawn: undefined, ...io });

  it('runs python demo.py over the product of its spans, in parallel', async () => {
    const run = await real(['--parallel', 'python', 'demo.py', 'span:{1..2}', 'fixed', 'span:[a,b]']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trimEnd().split('\n').sort()).toEqual([
      "[1/4 1 a] ['1', 'fixed', 'a']",
      "[2/4 1 b] ['1', 'fixed', 'b']",
      "[3/4 2 a] ['2', 'fixed', 'a']",
      "[4/4 2 b] ['2', 'fixed', 'b']",
    ]);
    expect(run.stderr).toBe('4 runs: 4 ok\n');
  });

  it('calls a module:function with string arguments, its return value the exit status', async () => {
    const run = await real(['mymod:main', 'span:[x,bad]', '7']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      "[1/2 x] main ['x', '7'] ['mymod:main', 'x', '7']\n[2/2 bad] main ['bad', '7'] ['mymod:main', 'bad', '7']\n",
    );
    expect(run.stderr).toBe('[2/2 bad] failed: exit 4\n2 runs: 1 ok, 1 failed (run 2: exit 4)\n');
  });

  it('runs a module of the working directory with python -m', async () => {
    const run = await real(['demo', 'span:{3..2}']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("[1/2 3] ['3']\n[2/2 2] ['2']\n");
  });

  it('sums up a failing run of an executable, keeping its stderr prefixed', async () => {
    const run = await real(['sh', '-c', 'echo "oops $0" >&2; exit "$0"', 'span:[0,3]']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      '[1/2 0] oops 0\n[2/2 3] oops 3\n[2/2 3] failed: exit 3\n2 runs: 1 ok, 1 failed (run 2: exit 3)\n',
    );
  });

  it("stops real runs on interrupt, their own children too (regression: a shell's sleep held the output open)", async () => {
    const stop = new AbortController();
    const started = Date.now();
    const done = real(['--parallel', '2', 'sh', '-c', 'sleep "$0"; echo late', 'span:[30,31]'], {
      signal: stop.signal,
    });
    await sleep(300);
    stop.abort('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stderr).toBe('2 runs: 0 ok, 2 stopped\n');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
