import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Task } from '@kawa/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/cluster.js';
import { docker, TEST_IMAGE } from './support/docker.js';
import { startSplitCluster, type SplitCluster } from './support/split-cluster.js';
import { submit, waitForStatus } from './support/tasks.js';

const dockerUp = await docker
  .getImage(TEST_IMAGE)
  .inspect()
  .then(
    () => true,
    () => false,
  );

/** A task of the test: it prints, waits for its flag file, prints again and exits with `code`. */
interface FaultTask {
  name: string;
  docker: boolean;
  code: number;
  /** Whether it ends while the runner is down (else after its restart). */
  whileDown: boolean;
  id: number;
}

/** Bounded: at most 1200 × 0.1 s for the flag. */
const script = (name: string, flag: string, code: number): string =>
  `echo start-${name}; i=0; while [ ! -f ${flag} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; echo end-${name}; exit ${code}`;

const nodeContainers = async (node: string) =>
  docker.listContainers({ all: true, filters: { label: [`kawa.node=${node}`] } });

describe.skipIf(!dockerUp)('runner crash: kill -9 with 10 Docker and 2 no-Docker tasks running', () => {
  let cluster: SplitCluster;
  let foreignId: string | null = null;
  beforeAll(async () => {
    cluster = await startSplitCluster({ runners: ['crash'] });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
    if (foreignId !== null) await docker.getContainer(foreignId).remove({ force: true });
    for (const container of await nodeContainers(cluster.node))
      await docker.getContainer(container.Id).remove({ force: true });
  }, 60_000);

  it('adopts all 12 tasks, reports their real exit codes and leaves no orphan container', async () => {
    const node = cluster.node;
    const dataDir = join(cluster.home, '.kawa/shared/data');
    const stateDir = join(cluster.home, '.kawa', `runner-${node}`, 'tasks');
    const codes = [0, 3, 5, 7, 11, 13, 17, 19, 23, 29];
    const tasks: FaultTask[] = [
      ...codes.map((code, index) => ({ name: `d${index}`, docker: true, code, whileDown: index % 2 === 0, id: 0 })),
      { name: 'p0', docker: false, code: 42, whileDown: true, id: 0 },
      { name: 'p1', docker: false, code: 0, whileDown: false, id: 0 },
    ];
    const flagOf = (task: FaultTask): string =>
      task.docker ? `/shared/flag-${task.name}` : join(dataDir, `flag-${task.name}`);
    for (const task of tasks) {
      const where = [...(task.docker ? ['--image', TEST_IMAGE] : ['--container', 'NULL']), '--cores', '0.1'];
      const { taskIds } = await submit(cluster, [
        ...where,
        '--',
        'sh',
        '-c',
        script(task.name, flagOf(task), task.code),
      ]);
      task.id = taskIds[0] as number;
    }
    const logOf = (task: FaultTask): Promise<string> =>
      readFile(join(cluster.home, '.kawa/shared/logs', String(task.id), 'stdout.log'), 'utf8').catch(() => '');
    for (const task of tasks) await waitForStatus(cluster, task.id, ['running'], 60_000);
    // Each has printed its first line and has its record in the runner's state dir.
    for (const task of tasks) {
      await eventually(async () => (await logOf(task)) === `start-${task.name}\n`, 20_000, `${task.name}'s output`);
      await eventually(() => Promise.resolve(existsSync(join(stateDir, `${task.id}.json`))), 20_000, 'its record');
    }

    const runner = cluster.runners.get(node)!;
    const exited = new Promise((resolve) => runner.once('exit', resolve));
    runner.kill('SIGKILL');
    await exited;

    // An orphan of this node (as a crash between create and record leaves one), and a
    // container of another cluster on the same engine, which must stay.
    const orphan = await docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sleep', '300'],
      Labels: { 'kawa.node': node, 'kawa.task-id': '999999' },
    });
    await orphan.start();
    const foreign = await docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sleep', '300'],
      Labels: { 'kawa.node': `${node}-other`, 'kawa.task-id': '999999' },
    });
    foreignId = foreign.id;

    // Half of them end while no runner is there.
    for (const task of tasks.filter((candidate) => candidate.whileDown))
      await writeFile(join(dataDir, `flag-${task.name}`), '');
    for (const task of tasks.filter((candidate) => candidate.whileDown)) {
      if (task.docker) {
        await eventually(
          async () => !(await docker.getContainer(`kawa-task-${task.id}`).inspect()).State.Running,
          30_000,
          `${task.name} to end while the runner is down`,
        );
      } else {
        await eventually(
          () => Promise.resolve(existsSync(join(stateDir, `${task.id}.exit`))),
          30_000,
          `${task.name}'s exit file`,
        );
      }
    }

    await cluster.startRunner(node);
    await eventually(
      () =>
        docker
          .getContainer(orphan.id)
          .inspect()
          .then(
            () => false,
            () => true,
          ),
      30_000,
      'the orphan to be removed',
    );
    for (const task of tasks.filter((candidate) => !candidate.whileDown))
      await writeFile(join(dataDir, `flag-${task.name}`), '');

    const finals: Task[] = [];
    for (const task of tasks)
      finals.push(await waitForStatus(cluster, task.id, ['completed', 'failed', 'lost', 'killed'], 60_000));
    let realCodes = 0;
    for (const [index, task] of tasks.entries()) {
      const final = finals[index]!;
      expect({ name: task.name, status: final.status, exitCode: final.exitCode }).toEqual({
        name: task.name,
        status: task.code === 0 ? 'completed' : 'failed',
        exitCode: task.code,
      });
      if (final.exitCode === task.code) realCodes += 1;
      // Every line once: none lost, none written twice across the crash.
      expect(await logOf(task)).toBe(`start-${task.name}\nend-${task.name}\n`);
    }
    const adopted = new Set(
      [...cluster.runnerLog(node).matchAll(/adopted task (\d+) /g)].map((match) => Number(match[1])),
    );
    const adoptedOurs = tasks.filter((task) => adopted.has(task.id)).length;
    expect(adoptedOurs).toBe(12);
    const left = await eventually(
      async () => {
        const containers = await nodeContainers(node);
        return containers.length === 0 ? containers : null;
      },
      30_000,
      'no container of the node to remain',
    );
    expect(left).toHaveLength(0);
    expect((await foreign.inspect()).Id).toBe(foreign.id);
    console.log(
      `runner crash: ${tasks.length} tasks (10 Docker, 2 no-Docker), ${tasks.filter((task) => task.whileDown).length} ended while the runner was down; ` +
        `adopted ${adoptedOurs}/12, real exit codes ${realCodes}/12, planted orphan removed 1/1, foreign container kept 1/1, ` +
        `orphan containers left ${left.length}`,
    );
  }, 300_000);
});
