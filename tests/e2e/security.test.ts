import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntrySchema, ListTasksResponseSchema, TaskSchema, type Task } from '@kawa/protocol';
import { startCluster, type Cluster } from './support/cluster.js';
import {
  allProbes,
  concretePath,
  send,
  type Answer,
  type OtherUserExpectation,
  type Probe,
  type Targets,
} from './support/security.js';
import { waitForStatus } from './support/tasks.js';

/**
 * What bob (a user, not an admin) gets on every route against alice's resources. A route added
 * to the protocol without a line here fails the first test.
 */
const otherUser: Record<string, OtherUserExpectation> = {
  whoami: 'shared',
  doctorSharedProbe: 'shared',
  listNodes: 'shared',
  getNode: 'shared',
  submitTasks: 'shared',
  listTasks: 'own-scope',
  getTask: 'owner',
  waitTask: 'owner',
  taskEvents: 'owner',
  killTask: 'owner',
  pauseTask: 'owner',
  resumeTask: 'owner',
  taskLogs: 'owner',
  drainNode: 'admin',
  undrainNode: 'admin',
  killBatch: 'owner',
  createVps: 'shared',
  listVps: 'own-scope',
  stopVps: 'owner',
  restartVps: 'owner',
  listHostContainers: 'shared',
  createHostContainer: 'admin',
  startHostContainer: 'admin',
  stopHostContainer: 'admin',
  deleteHostContainer: 'admin',
  listTarballs: 'shared',
  createTarball: 'admin',
  deleteTarball: 'admin',
  listUsers: 'admin',
  createUser: 'admin',
  createToken: 'admin',
  listTokens: 'admin',
  revokeToken: 'admin',
  listAudit: 'admin',
  vpsSsh: 'owner',
  vpsSshRaw: 'owner',
  taskTerminal: 'owner',
  hostContainerShell: 'admin',
  events: 'own-scope',
  runnerLink: 'runner',
  runnerStream: 'runner',
};

/** Task ids in an answer (a task list, a VPS list, or an event-stream snapshot). */
function taskIdsIn(body: string): number[] {
  const parsed = JSON.parse(body) as { tasks?: unknown[]; vps?: unknown[]; recentTasks?: unknown[] };
  const tasks = parsed.tasks ?? parsed.vps ?? parsed.recentTasks;
  if (!Array.isArray(tasks)) throw new Error(`no task list in ${body.slice(0, 200)}`);
  return tasks.map((task) => TaskSchema.pick({ id: true }).parse(task).id);
}

describe('security: every route, every WebSocket, with no token, a bad or revoked token, and another user’s token', () => {
  let cluster: Cluster;
  const secret = (user: string): string => readFileSync(join(cluster.home, `${user}-token`), 'utf8').trim();
  let alice: string;
  let bob: string;
  let revoked: string;
  let aliceTask: Task;
  let targets: Targets;
  const counts: Record<string, { expected: number; total: number }> = {};
  const tally = (credential: string, ok: boolean): void => {
    counts[credential] ??= { expected: 0, total: 0 };
    (counts[credential] as { expected: number }).expected += ok ? 1 : 0;
    (counts[credential] as { total: number }).total += 1;
  };

  beforeAll(async () => {
    cluster = await startCluster({ env: { KAWA_HOST_DEFAULT_CONTAINER: 'NULL' } });
    for (const user of ['alice', 'bob']) {
      const added = await cluster.kawa(['user', 'add', user, '--token-file', join(cluster.home, `${user}-token`)]);
      expect(added.code, added.stderr).toBe(0);
    }
    alice = secret('alice');
    bob = secret('bob');
    const extra = await cluster.kawa(['token', 'create', '--user', 'alice', '--json']);
    const made = JSON.parse(extra.stdout) as { secret: string; token: { id: number } };
    revoked = made.secret;
    const revoke = await cluster.kawa(['token', 'revoke', String(made.token.id)]);
    expect(revoke.stdout).toBe(`revoked token ${made.token.id} of alice\n`);

    const submitted = await cluster.kawa(['--token', alice, 'task', 'submit', '--json', '--', 'sleep', '600']);
    const { batchId, taskIds } = JSON.parse(submitted.stdout) as { batchId: number; taskIds: number[] };
    aliceTask = await waitForStatus(cluster, taskIds[0] as number, ['running']);
    const tokens = JSON.parse((await cluster.kawa(['token', 'list', '--user', 'alice', '--json'])).stdout) as {
      tokens: { id: number; revokedAt: number | null }[];
    };
    const live = tokens.tokens.find((token) => token.revokedAt === null);
    targets = {
      taskId: aliceTask.id,
      batchId,
      node: cluster.node,
      env: 'default',
      user: 'alice',
      tokenId: live?.id ?? 0,
    };
  }, 120_000);

  afterAll(async () => {
    const table = Object.entries(counts).map(
      ([credential, count]) => `${credential}: ${count.expected}/${count.total}`,
    );
    console.log(`security e2e, answered as expected per credential: ${table.join(', ')}`);
    await cluster?.stop();
  });

  it('has an expectation for every route of the protocol, and none for a route that does not exist', () => {
    const names = allProbes().map((probe) => probe.name);
    expect(names.filter((name) => !(name in otherUser))).toEqual([]);
    expect(Object.keys(otherUser).filter((name) => !names.includes(name))).toEqual([]);
    expect(names.length).toBeGreaterThanOrEqual(39);
  });

  const unauthenticated: [string, () => string | null][] = [
    ['no token', () => null],
    ['a bad token', () => `Bearer kawa_user_${randomBytes(32).toString('base64url')}`],
    ['a malformed header', () => 'Basic YWxpY2U6c2VjcmV0'],
    ['a revoked token', () => `Bearer ${revoked}`],
  ];
  it.each(unauthenticated)('refuses every route with %s: 401 KAWA_ERR_UNAUTHORIZED', async (credential, header) => {
    const misses: { probe: string; answer: Answer }[] = [];
    for (const probe of allProbes()) {
      const answer = await send(cluster.url, probe, concretePath(probe.path, targets, probe.name), header());
      const ok = answer.status === 401 && answer.code === 'KAWA_ERR_UNAUTHORIZED';
      tally(credential, ok);
      if (!ok) misses.push({ probe: `${probe.method} ${probe.path}`, answer });
    }
    expect(misses).toEqual([]);
  });

  it('refuses the runners’ join token on every API route and WebSocket: 403 KAWA_ERR_FORBIDDEN', async () => {
    const joinToken = readFileSync(join(cluster.home, '.kawa/host/join-token'), 'utf8').trim();
    const misses: { probe: string; answer: Answer }[] = [];
    for (const probe of allProbes().filter((candidate) => otherUser[candidate.name] !== 'runner')) {
      const answer = await send(
        cluster.url,
        probe,
        concretePath(probe.path, targets, probe.name),
        `Bearer ${joinToken}`,
      );
      const ok = answer.status === 403 && answer.code === 'KAWA_ERR_FORBIDDEN';
      tally('the join token', ok);
      if (!ok) misses.push({ probe: `${probe.method} ${probe.path}`, answer });
    }
    expect(misses).toEqual([]);
  });

  it('gives another user’s token exactly what the table says on every route', async () => {
    const misses: { probe: string; expected: OtherUserExpectation; answer: Answer }[] = [];
    const check = (probe: Probe, expected: OtherUserExpectation, answer: Answer): boolean => {
      switch (expected) {
        case 'admin':
        case 'owner':
        case 'runner':
          return answer.status === 403 && answer.code === 'KAWA_ERR_FORBIDDEN';
        case 'own-scope':
          return [200, 101].includes(answer.status) && !taskIdsIn(answer.body).includes(aliceTask.id);
        case 'shared':
          return answer.status < 500 && answer.status !== 401 && answer.status !== 403;
      }
    };
    for (const probe of allProbes()) {
      const expected = otherUser[probe.name] as OtherUserExpectation;
      const answer = await send(cluster.url, probe, concretePath(probe.path, targets, probe.name), `Bearer ${bob}`);
      const ok = check(probe, expected, answer);
      tally(`another user (${expected})`, ok);
      if (!ok) misses.push({ probe: `${probe.method} ${probe.path}`, expected, answer });
    }
    expect(misses).toEqual([]);
  });

  it('left alice’s task running, visible to her and to the admin', async () => {
    const mine = await send(
      cluster.url,
      { kind: 'rest', name: 'listTasks', method: 'GET', path: '/api/v1/tasks' },
      '/api/v1/tasks',
      `Bearer ${alice}`,
    );
    expect(ListTasksResponseSchema.parse(JSON.parse(mine.body)).tasks.map((task) => [task.id, task.status])).toEqual([
      [aliceTask.id, 'running'],
    ]);
    const all = await cluster.api<unknown>('GET', '/api/v1/tasks');
    expect(ListTasksResponseSchema.parse(all.body).tasks.map((task) => task.owner)).toContain('alice');
  });

  it('audited bob’s refused attempts and alice’s submit, shown by kawa audit', async () => {
    const listed = await cluster.kawa(['audit', '--user', 'bob', '--limit', '200', '--json']);
    const entries = (JSON.parse(listed.stdout) as { entries: unknown[] }).entries.map((entry) =>
      AuditEntrySchema.parse(entry),
    );
    // Refused for being alice's (vps.create is refused too, for lack of a VPS env: not audited here).
    const refused = entries
      .filter((entry) => entry.outcome === 'refused' && entry.code === 'KAWA_ERR_FORBIDDEN')
      .map((entry) => entry.action);
    expect(new Set(refused)).toEqual(
      new Set(['task.kill', 'task.pause', 'task.resume', 'batch.kill', 'vps.stop', 'vps.restart', 'ssh', 'terminal']),
    );
    expect(entries.find((entry) => entry.action === 'ssh')).toMatchObject({
      target: `task ${aliceTask.id}`,
      code: 'KAWA_ERR_FORBIDDEN',
    });
    const human = await cluster.kawa(['audit', '--user', 'alice']);
    expect(human.stdout).toMatch(
      new RegExp(`alice\\s+task\\.submit\\s+batch ${targets.batchId}: tasks ${aliceTask.id}\\s+ok`),
    );
    // Only an admin reads the audit log.
    const asBob = await cluster.kawa(['--token', bob, 'audit']);
    expect(asBob.code).toBe(1);
    expect(asBob.stderr).toContain('KAWA_ERR_FORBIDDEN');
  });
});
