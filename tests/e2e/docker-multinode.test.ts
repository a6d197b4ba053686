import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmitTaskResponse, Task } from '@kawa/protocol';
import { KAWA_BIN, eventually } from './support/cluster.js';
import { runCommand, type CommandResult } from './support/commands.js';
import { TEST_IMAGE, docker } from './support/docker.js';
import { startLoopbackRelay, type LoopbackRelay } from './support/loopback-relay.js';
import { namespaceLab, type LinkEnd } from './support/netns.js';
import { collectOutput, exitOf } from './support/process.js';
import { BATCH, VPS_IMAGE, makeKeyPair, type KeyPair } from './support/vps.js';

/**
 * Three machines made of network namespaces: the host in one, a runner in each of the other
 * two, joined by veth pairs (host ↔ runner 1, host ↔ runner 2). Every connection crosses a
 * namespace hop: the runners dial the host at its veth address, the CLI runs in runner 2's
 * namespace and talks to the host over its link, and SSH goes client (runner 2's namespace) →
 * host → runner 1 → the VPS. Each runner has its own HOME and state dir; all three share one
 * shared dir, as NFS would give them. Only the namespaces' addresses and loopback are used.
 *
 * Docker: dockerd lives in the root namespace. Its socket is a path, so every namespace
 * reaches it. A VPS's sshd is published on the root namespace's loopback, where a runner in its
 * own namespace cannot reach it; support/loopback-relay.ts puts that one port back on the
 * runner's loopback (through a unix socket), as on a real node where runner and dockerd share
 * one network namespace. When the runner dials the container's bridge address first, that dial
 * fails at once here (a runner namespace has no route to Docker's bridge) and it falls back to
 * the published loopback port, which the relay serves.
 */

const PORT = 8000;
const lab = namespaceLab();
const work = mkdtempSync(join(tmpdir(), 'kawa-multinode-'));
const shared = join(work, 'shared');
const daemons: { name: string; child: ChildProcess; output: ReturnType<typeof collectOutput> }[] = [];
const relays: LoopbackRelay[] = [];
const vpsIds: number[] = [];

let hostNs = '';
let runnerNs: [string, string] = ['', ''];
/** The host's address on each runner's link. */
let hostEnds: [LinkEnd, LinkEnd];
let runnerEnds: [LinkEnd, LinkEnd];
const nodes = [`mn1-${lab.tag}`, `mn2-${lab.tag}`] as const;
let adminToken = '';
let key: KeyPair;

function start(name: string, namespace: string, args: string[], env: Record<string, string>): ChildProcess {
  const command = lab.exec(namespace, process.execPath, [KAWA_BIN, ...args]);
  const child = spawn(command.file, command.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  daemons.push({ name, child, output: collectOutput(child) });
  return child;
}

async function waitForOutput(name: string, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const daemon = daemons.find((entry) => entry.name === name)!;
  let found: RegExpExecArray | null = null;
  await eventually(
    () => {
      if (daemon.child.exitCode !== null)
        throw new Error(
          `${name} exited (${daemon.child.exitCode}):\n${daemon.output.stdout()}\n${daemon.output.stderr()}`,
        );
      found = pattern.exec(daemon.output.stdout());
      return Promise.resolve(found !== null);
    },
    timeoutMs,
    `${name} to print ${pattern}`,
  );
  return found!;
}

const baseEnv = (home: string): Record<string, string> => ({
  HOME: home,
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  LANG: 'C.UTF-8',
});

/** The CLI, run as a user on runner 2's machine: it reaches the host over runner 2's link. */
function clientEnv(): Record<string, string> {
  return {
    ...baseEnv(join(work, 'client-home')),
    KAWA_CLIENT_HOST_URL: `http://${hostEnds[1].address}:${PORT}`,
    KAWA_CLIENT_TOKEN: adminToken,
  };
}

function kawa(args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  const command = lab.exec(runnerNs[1], process.execPath, [KAWA_BIN, ...args]);
  return runCommand(command.file, command.args, { env: clientEnv(), cwd: work, timeoutMs });
}

async function kawaJson<T>(args: string[]): Promise<T> {
  // --json goes before a `--`, after which everything is the task's command.
  const split = args.indexOf('--');
  const withJson = split < 0 ? [...args, '--json'] : [...args.slice(0, split), '--json', ...args.slice(split)];
  const result = await kawa(withJson);
  if (result.code !== 0) throw new Error(`kawa ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** The tasks' states, stderr logs and the daemons' output: the message of a failed assertion. */
async function explain(ids: number[]): Promise<string> {
  const parts: string[] = [];
  for (const id of ids) {
    parts.push(JSON.stringify(await taskStatus(id)), (await kawa(['task', 'logs', '--stderr', String(id)])).stdout);
  }
  for (const daemon of daemons) parts.push(`${daemon.name}:`, daemon.output.stderr().slice(-3000));
  return parts.join('\n');
}

const taskStatus = (id: number): Promise<Task> => kawaJson<Task>(['task', 'status', String(id)]);

beforeAll(async () => {
  mkdirSync(shared, { recursive: true });
  mkdirSync(join(work, 'client-home'), { recursive: true });
  hostNs = await lab.addNamespace('h');
  runnerNs = [await lab.addNamespace('r1'), await lab.addNamespace('r2')];
  const first = await lab.link(hostNs, runnerNs[0]);
  const second = await lab.link(hostNs, runnerNs[1]);
  hostEnds = [first[0], second[0]];
  runnerEnds = [first[1], second[1]];

  // The host listens on every address of its namespace: both links and its loopback.
  const hostHome = join(work, 'host-home');
  mkdirSync(hostHome);
  start('host', hostNs, ['host', '--port', String(PORT), '--listen', '0.0.0.0', '--log-level', 'info'], {
    ...baseEnv(hostHome),
    KAWA_HOST_SHARED_DIR: shared,
  });
  await waitForOutput('host', /^Kawa host listening at /m);
  const stateDir = join(hostHome, '.kawa', 'host');
  adminToken = readFileSync(join(stateDir, 'admin-token'), 'utf8').trim();
  const joinToken = readFileSync(join(stateDir, 'join-token'), 'utf8').trim();

  // Each runner machine joins the way docs/install.md says: kawa join, then kawa runner.
  for (const index of [0, 1] as const) {
    const home = join(work, `runner${index + 1}-home`);
    mkdirSync(home);
    const url = `http://${hostEnds[index].address}:${PORT}`;
    const joinArgs = ['join', url, joinToken, '--name', nodes[index], '--shared-dir', shared];
    const command = lab.exec(runnerNs[index], process.execPath, [KAWA_BIN, ...joinArgs]);
    const joined = await runCommand(command.file, command.args, { env: baseEnv(home), cwd: home });
    expect(joined.code, joined.stderr).toBe(0);
    start(`runner${index + 1}`, runnerNs[index], ['runner', '--log-level', 'info'], baseEnv(home));
  }
  await waitForOutput('runner1', /^Kawa runner \S+ connected$/m);
  await waitForOutput('runner2', /^Kawa runner \S+ connected$/m);
  key = await makeKeyPair();
}, 180_000);

afterAll(async () => {
  for (const id of vpsIds) {
    await kawa(['task', 'kill', String(id)]).catch(() => undefined);
    await docker
      .getContainer(`kawa-vps-${id}`)
      .remove({ force: true })
      .catch(() => undefined);
  }
  for (const relay of relays.splice(0)) await relay.close().catch(() => undefined);
  for (const daemon of daemons.reverse()) {
    if (daemon.child.exitCode !== null) continue;
    daemon.child.kill('SIGTERM');
    await exitOf(daemon.child, 20_000, daemon.name).catch(() => daemon.child.kill('SIGKILL'));
  }
  // Always, even after a failure above: the namespaces (and their veths) go with the run.
  await lab.remove();
  if (key) rmSync(key.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('a host and two runners in three network namespaces', () => {
  it('both runners joined over their links and show as online nodes', async () => {
    const listed = await kawaJson<{ nodes: { name: string; status: string }[] }>(['node', 'list']);
    const ours = listed.nodes.filter((node) => (nodes as readonly string[]).includes(node.name));
    expect(ours.map((node) => [node.name, node.status]).sort()).toEqual([
      [nodes[0], 'online'],
      [nodes[1], 'online'],
    ]);
  });

  it('kawa doctor on runner 1 sees the host across its link, and the host sees its shared dir', async () => {
    const home = join(work, 'runner1-home');
    const command = lab.exec(runnerNs[0], process.execPath, [KAWA_BIN, 'doctor', '--json']);
    // The runner's own config (from kawa join) plus an API token for the shared-dir question.
    const result = await runCommand(command.file, command.args, {
      env: { ...baseEnv(home), KAWA_CLIENT_TOKEN: adminToken },
      cwd: home,
    });
    const report = JSON.parse(result.stdout) as { checks: { name: string; status: string; message: string }[] };
    const status = Object.fromEntries(report.checks.map((check) => [check.name, check.status]));
    expect(status, result.stdout).toMatchObject({ docker: 'ok', host: 'ok', 'shared-dir': 'ok', clock: 'ok' });
  });

  it('runs a multi-target batch: one task on each runner, each in its own namespace', async () => {
    const submitted = await kawaJson<SubmitTaskResponse>([
      'task',
      'submit',
      '--container',
      'NULL',
      '-t',
      nodes[0],
      '-t',
      nodes[1],
      '--',
      'ip',
      '-4',
      '-o',
      'addr',
      'show',
    ]);
    expect(submitted.taskIds).toHaveLength(2);
    const waited = await kawa(['task', 'wait', ...submitted.taskIds.map(String)], 60_000);
    expect(waited.code, await explain(submitted.taskIds)).toBe(0);
    for (const [index, id] of submitted.taskIds.entries()) {
      const task = await taskStatus(id);
      expect(task).toMatchObject({ status: 'completed', exitCode: 0, node: nodes[index] });
      // The task saw its runner's link address, not the host's nor the other runner's.
      const logs = await kawa(['task', 'logs', String(id)]);
      expect(logs.stdout).toContain(` ${runnerEnds[index]!.address}/30 `);
      expect(logs.stdout).not.toContain(` ${runnerEnds[1 - index]!.address}/30 `);
      expect(logs.stdout).not.toContain(` ${hostEnds[index]!.address}/30 `);
    }
  });

  it('runs a Docker task on runner 2 and reads its output from the shared dir through the host', async () => {
    const submitted = await kawaJson<SubmitTaskResponse>([
      'task',
      'submit',
      '--image',
      TEST_IMAGE,
      '-t',
      nodes[1],
      '--',
      'sh',
      '-c',
      'echo "docker on $KAWA_TASK_ID"; ls /shared >/dev/null && echo shared-mounted',
    ]);
    const [id] = submitted.taskIds;
    const waited = await kawa(['task', 'wait', String(id)], 120_000);
    expect(waited.code, waited.stderr).toBe(0);
    expect(await taskStatus(id!)).toMatchObject({ status: 'completed', exitCode: 0, node: nodes[1] });
    expect((await kawa(['task', 'logs', String(id)])).stdout).toBe(`docker on ${id}\nshared-mounted\n`);
    // The runner wrote the log into the one shared dir the host reads.
    expect(readFileSync(join(shared, 'logs', String(id), 'stdout.log'), 'utf8')).toBe(
      `docker on ${id}\nshared-mounted\n`,
    );
  });

  it('follows the log of a task on runner 1 from runner 2’s machine until it ends', async () => {
    const submitted = await kawaJson<SubmitTaskResponse>([
      'task',
      'submit',
      '--container',
      'NULL',
      '-t',
      nodes[0],
      '--',
      'sh',
      '-c',
      'for i in 1 2 3; do echo "line $i"; sleep 1; done',
    ]);
    const [id] = submitted.taskIds;
    const followed = await kawa(['task', 'logs', '-f', String(id)], 60_000);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout, await explain([id!])).toBe('line 1\nline 2\nline 3\n');
    expect(await taskStatus(id!)).toMatchObject({ status: 'completed', node: nodes[0] });
  });

  it('SSHes into a VPS on runner 1 with the real OpenSSH client, through the host', async () => {
    const created = await kawaJson<{ vps: Task }>([
      'vps',
      'create',
      '--image',
      VPS_IMAGE,
      '-t',
      nodes[0],
      '--public-key-file',
      `${key.privateKey}.pub`,
    ]);
    const id = created.vps.id;
    vpsIds.push(id);
    // The relay for the port Docker published (see the top of this file).
    const port = await eventually(
      async () => {
        const info = await docker
          .getContainer(`kawa-vps-${id}`)
          .inspect()
          .catch(() => null);
        const binding = info?.NetworkSettings.Ports['22/tcp']?.find((entry) => entry.HostIp === '127.0.0.1');
        return binding ? Number(binding.HostPort) : null;
      },
      60_000,
      `kawa-vps-${id} to publish its sshd`,
    );
    relays.push(await startLoopbackRelay(runnerNs[0], port, join(work, `vps-${id}.sock`)));
    await eventually(
      async () => ((await taskStatus(id)).status === 'running' ? true : null),
      90_000,
      `VPS ${id} to run`,
    );
    const ssh = await kawa(
      ['ssh', String(id), '-i', key.privateKey, ...BATCH, 'echo "inside $(hostname)"; cat /proc/1/cgroup >/dev/null'],
      60_000,
    );
    expect(ssh.code, ssh.stderr).toBe(0);
    expect(ssh.stdout).toMatch(/^inside \S+\n$/);
    expect(await taskStatus(id)).toMatchObject({ kind: 'vps', node: nodes[0] });
  });
});
