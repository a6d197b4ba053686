import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { readProcStat } from '../../system/proc-stat.js';
import { waitFor } from '../../testing/wait-for.js';
import { createHelperSpawner } from './spawn-helper.js';
import { nodeSpawner, type Spawner, type SpawnRequest } from './spawner.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kawa-spawn-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const request = (args: string[], overrides: Partial<SpawnRequest> = {}): SpawnRequest => ({
  file: args[0] as string,
  args: args.slice(1),
  env: { PATH: '/usr/bin:/bin' },
  cwd: dir,
  stdoutPath: join(dir, 'out.log'),
  stderrPath: join(dir, 'err.log'),
  ...overrides,
});

const spawners: [string, () => Spawner][] = [
  ['in process', () => nodeSpawner],
  ['through the helper', () => createHelperSpawner(createLogger('silent'))],
];

describe.each(spawners)('spawning %s', (_name, make) => {
  let spawner: Spawner;
  beforeAll(() => {
    spawner = make();
  });
  afterAll(async () => {
    await spawner.close();
  });

  it('writes stdout and stderr to the files and reports the exit', async () => {
    const child = await spawner.spawn(request(['sh', '-c', 'echo "out $0"; echo err >&2; exit 3']));
    expect(child.pid).toBeGreaterThan(0);
    expect(await child.exited).toEqual({ code: 3, signal: null });
    expect(await readFile(join(dir, 'out.log'), 'utf8')).toBe('out sh\n');
    expect(await readFile(join(dir, 'err.log'), 'utf8')).toBe('err\n');
  });

  it('runs the child in its own session and reports signals', async () => {
    const out = join(dir, 'session.log');
    const child = await spawner.spawn(
      request(['sh', '-c', 'cut -d" " -f6 /proc/self/stat; exec sleep 30'], { stdoutPath: out }),
    );
    for (let attempt = 0; attempt < 200 && (await readFile(out, 'utf8')) === ''; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(Number(await readFile(out, 'utf8'))).toBe(child.pid);
    process.kill(-child.pid, 'SIGTERM');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('rejects with the system error when the program or the workdir is missing', async () => {
    await expect(spawner.spawn(request(['/no/such/program']))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(spawner.spawn(request(['true'], { cwd: '/no/such/dir' }))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(spawner.spawn(request(['true'], { stdoutPath: '/no/such/dir/out.log' }))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('makes the request’s dirs, with their parents, before it opens the log files', async () => {
    const base = await mkdtemp(join(dir, 'dirs-'));
    const logDir = join(base, 'logs', '42');
    const scratch = join(base, 'local-temp', 'task-42');
    const child = await spawner.spawn(
      request(['sh', '-c', 'test -d "$0" && echo made', scratch], {
        dirs: [logDir, scratch],
        stdoutPath: join(logDir, 'stdout.log'),
        stderrPath: join(logDir, 'stderr.log'),
      }),
    );
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(await readFile(join(logDir, 'stdout.log'), 'utf8')).toBe('made\n');
  });
});

const parentOf = async (pid: number): Promise<number> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

describe('the spawn helper', () => {
  it('reports the start time of the pid it spawned, as /proc/<pid>/stat has it', async () => {
    const spawner = createHelperSpawner(createLogger('silent'));
    try {
      const child = await spawner.spawn(request(['sleep', '30']));
      expect(child.startTime).toMatch(/^\d+$/);
      expect(child.startTime).toBe((await readProcStat(child.pid))?.startTime);
      process.kill(child.pid, 'SIGKILL');
      await child.exited;
    } finally {
      await spawner.close();
    }
  });

  it('outlives SIGINT and SIGTERM, so a Ctrl-C reaches the runner and not its tasks', async () => {
    const spawner = createHelperSpawner(createLogger('silent'));
    const child = await spawner.spawn(request(['sleep', '30']));
    try {
      const helperPid = await parentOf(child.pid);
      process.kill(helperPid, 'SIGINT');
      process.kill(helperPid, 'SIGTERM');
      const next = await spawner.spawn(request(['true']));
      expect(await next.exited).toEqual({ code: 0, signal: null });
      // Still the same helper: signal 0 only checks that the process exists.
      expect(() => process.kill(helperPid, 0)).not.toThrow();
      process.kill(child.pid, 'SIGKILL');
      expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    } finally {
      await spawner.close();
    }
  });

  it('reports in-flight tasks as lost when it dies', async () => {
    const spawner = createHelperSpawner(createLogger('silent'));
    const child = await spawner.spawn(request(['sleep', '30']));
    try {
      process.kill(await parentOf(child.pid), 'SIGKILL');
      expect(await child.exited).toEqual({ code: null, signal: null, lost: true });
      // A new helper takes over for the next task.
      const next = await spawner.spawn(request(['true']));
      expect(await next.exited).toEqual({ code: 0, signal: null });
    } finally {
      process.kill(child.pid, 'SIGKILL');
      await spawner.close();
    }
  });

  it('outlives a runner that goes away, and writes each later exit status to the exit file', async () => {
    const spawner = createHelperSpawner(createLogger('silent'));
    const flag = join(dir, 'helper-go');
    const exitPath = join(dir, 'task.exit');
    const child = await spawner.spawn(
      request(['sh', '-c', `i=0; while [ ! -f ${flag} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; exit 5`], {
        exitPath,
      }),
    );
    const helperPid = await parentOf(child.pid);
    // What the helper sees when the runner dies: its IPC channel closes.
    await spawner.close();
    expect(() => process.kill(helperPid, 0)).not.toThrow();
    await writeFile(flag, '');
    await waitFor(async () => (await readFile(exitPath, 'utf8').catch(() => '')) !== '', 'the exit file');
    expect(JSON.parse(await readFile(exitPath, 'utf8'))).toEqual({ code: 5, signal: null });
    // Its last task is over, so the helper leaves.
    await waitFor(() => {
      try {
        process.kill(helperPid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the helper to leave');
  });
});
