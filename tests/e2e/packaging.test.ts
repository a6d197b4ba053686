import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from './support/commands.js';
import { collectOutput, exitOf } from './support/process.js';

// The installable package as a user gets it: `npm pack` of packages/kawa, installed with
// `npm i -g --prefix` into a clean prefix, then run from that prefix only, with its own HOME.
// It proves the tarball is self-contained: no workspace package is needed at run time, the
// dashboard ships inside it, and better-sqlite3 gets a working binary (built from source when
// no prebuilt one can be fetched).

const packageDir = fileURLToPath(new URL('../../packages/kawa', import.meta.url));
const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'kawa-pack-e2e-'));
const prefix = join(work, 'prefix');
const home = join(work, 'home');
mkdirSync(home);
/** What a user's shell has: the prefix's bin first, then the system. No checkout on the PATH. */
const userEnv = { HOME: home, PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin`, LANG: 'C.UTF-8' };
let tarball = '';
/**
 * npm's own environment without the npm_* variables of the npm (npx, npm test) that started
 * these tests: npm_config_global_prefix and friends would send a global install elsewhere.
 */
const npmEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
);
// node-gyp would download the Node.js headers to build better-sqlite3 (no reachable host has
// them here); the ones installed with this node are enough.
const installedHeaders = dirname(dirname(process.execPath));
if (existsSync(join(installedHeaders, 'include', 'node', 'node.h'))) npmEnv.npm_config_nodedir = installedHeaders;

const kawa = (args: string[], timeoutMs = 60_000): Promise<CommandResult> =>
  runCommand(join(prefix, 'bin', 'kawa'), args, { env: userEnv, cwd: home, timeoutMs });

beforeAll(async () => {
  const packed = await runCommand('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: packageDir,
    env: npmEnv,
    timeoutMs: 120_000,
  });
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  files = info!.files.map((file) => file.path);
  // The npm cache first (offline-friendly); install scripts allowed for the one native module.
  const installed = await runCommand(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--foreground-scripts',
      '--allow-scripts=better-sqlite3',
      tarball,
    ],
    // Compiling better-sqlite3 from source takes minutes on a busy two-core machine.
    { cwd: work, env: npmEnv, timeoutMs: 540_000 },
  );
  expect(installed.code, installed.stderr).toBe(0);
  const linked = existsSync(join(prefix, 'bin')) ? readdirSync(join(prefix, 'bin')) : [];
  expect(linked.sort(), `npm linked no bins:\n${installed.stdout}\n${installed.stderr}`).toEqual(['kawa', 'kawarun']);
}, 720_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

let files: string[] = [];

describe('the kawa package', () => {
  it('packs the bundled bins and the dashboard, and nothing of the checkout', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/kawa.js', 'bin/kawarun.js', 'dist/main.js', 'dist/kawarun.js']));
    expect(files).toContain('dist/web/index.html');
    expect(files.filter((path) => path.startsWith('src/') || path.startsWith('dist/tsc/'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(prefix, 'lib/node_modules/kawa/package.json'), 'utf8')) as {
      private?: boolean;
      dependencies: Record<string, string>;
    };
    expect(manifest.private).toBeUndefined();
    // A workspace package would not install from the registry.
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@kawa/'))).toEqual([]);
  });

  it('installs working kawa and kawarun commands', async () => {
    expect(await kawa(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const kawarun = await runCommand(join(prefix, 'bin', 'kawarun'), ['--version'], { env: userEnv, cwd: home });
    expect(kawarun).toMatchObject({ code: 0, stdout: `kawarun ${version}\n` });
  });

  it('runs kawa up, a task to completion and the dashboard from the install, then stops', async () => {
    const node = `pack-${process.pid}`;
    const up = spawn(join(prefix, 'bin', 'kawa'), ['up', '--port', '0', '--runner-name', node], {
      env: userEnv,
      cwd: home,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collectOutput(up);
    try {
      const url = await waitForUp(output.stdout, () => up.exitCode !== null, output.stderr);
      const submitted = await kawa(['task', 'submit', '--container', 'NULL', '--wait', '--', 'echo', 'packed hello']);
      expect(submitted.code, submitted.stderr).toBe(0);
      expect(submitted.stdout).toMatch(/task 1 completed on \S+, exit code 0/);
      expect(await kawa(['task', 'logs', '1'])).toMatchObject({ code: 0, stdout: 'packed hello\n' });
      const dashboard = await fetch(`${url}/`);
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toContain('<div id="app">');
    } finally {
      up.kill('SIGTERM');
    }
    expect(await exitOf(up, 20_000, 'kawa up')).toBe(0);
  });
});

/** The URL from `kawa up`'s first line; bounded by its own deadline. */
async function waitForUp(stdout: () => string, exited: () => boolean, stderr: () => string): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !exited()) {
    const match = /^Kawa is up at (\S+) /m.exec(stdout());
    if (match) return match[1]!;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`kawa up did not come up:\n${stdout()}\n${stderr()}`);
}
