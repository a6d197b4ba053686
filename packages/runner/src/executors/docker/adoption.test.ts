import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskEventFrame } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  containerGone,
  DOCKER_SOCKET,
  dockerReady,
  startDockerHarness,
  testDocker,
  TEST_IMAGE,
  uniqueTaskId,
  type DockerHarness,
} from '../../testing/docker-harness.js';
import { openTaskTable } from '../../state/task-table.js';
import { taskSpec } from '../../testing/executor-harness.js';
import { fakeSshdImage, TEST_PUBLIC_KEY } from '../../testing/fake-sshd-image.js';
import { waitFor } from '../../testing/wait-for.js';
import { taskLabels } from './container-options.js';
import { createDockerEngine, type DockerEngine, type OutputAttachment } from './docker-engine.js';

const ready = await dockerReady();

/**
 * The real engine, with a switch that plays the runner's crash: from then on no call answers
 * and the output streams are cut, so the executor that used it does nothing more, as a dead
 * runner would not (it neither reports nor removes the containers).
 */
function crashableEngine(): DockerEngine & { crash(): void } {
  const engine = createDockerEngine(DOCKER_SOCKET);
  const attachments: OutputAttachment[] = [];
  let crashed = false;
  const never = new Promise<never>(() => {});
  const cut =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      crashed ? never : call(...args).then((value) => (crashed ? never : value));
  return {
    ...engine,
    waitContainer: cut((id: string) => engine.waitContainer(id)),
    inspectContainer: cut((id: string) => engine.inspectContainer(id)),
    removeContainer: cut((id: string) => engine.removeContainer(id)),
    killContainer: cut((id: string) => engine.killContainer(id)),
    async attachOutput(id, stdout, stderr) {
      const attachment = await engine.attachOutput(id, stdout, stderr);
      attachments.push(attachment);
      return attachment;
    },
    crash() {
      crashed = true;
      for (const attachment of attachments) attachment.detach();
    },
  };
}

const harnesses: DockerHarness[] = [];
const planted: string[] = [];
afterEach(async () => {
  // The restarted one only: the crashed one's containers are its successor's now.
  await harnesses.at(-1)?.close();
  harnesses.length = 0;
  for (const id of planted.splice(0)) await testDocker.getContainer(id).remove({ force: true });
});

const logOf = (h: DockerHarness, id: number): Promise<string> =>
  readFile(join(h.sharedDir, 'logs', String(id), 'stdout.log'), 'utf8');

/** A bounded wait in the container for a flag file in the shared data dir (/shared). */
const waitForFlag = (flag: string): string =>
  `i=0; while [ ! -f /shared/${flag} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done`;

const seq = (from: number, to: number): string =>
  Array.from({ length: to - from + 1 }, (_, index) => `${from + index}\n`).join('');

describe.skipIf(!ready)('adopting Docker tasks after a runner crash', () => {
  it('adopts its containers, resumes their logs, reports real exit codes and removes its orphans only', async () => {
    const engine = crashableEngine();
    const before = await startDockerHarness({ engine });
    harnesses.push(before);
    const image = { image: TEST_IMAGE };
    const endsWhileDown = taskSpec(
      uniqueTaskId(),
      ['sh', '-c', `echo before; ${waitForFlag('a')}; echo after; exit 7`],
      image,
    );
    const endsAfter = taskSpec(
      uniqueTaskId(),
      ['sh', '-c', `seq 1 500; ${waitForFlag('b')}; seq 501 1000; exit 9`],
      image,
    );
    const killed = taskSpec(uniqueTaskId(), ['sleep', '60'], image);
    // Over its memory limit once the runner is gone: Docker says OOMKilled, and so must the report.
    const hog = taskSpec(
      uniqueTaskId(),
      ['sh', '-c', `${waitForFlag('a')}; dd if=/dev/zero of=/dev/null bs=64M count=1`],
      {
        ...image,
        memoryBytes: 20_000_000,
      },
    );
    const all = [endsWhileDown, endsAfter, killed, hog];
    for (const spec of all) before.executor.start(spec);
    for (const spec of all) await before.event(spec.id, ['running']);
    await waitFor(
      async () => (await logOf(before, endsAfter.id).catch(() => '')).endsWith('500\n'),
      'the first output',
    );
    const table = await openTaskTable(before.stateDir);
    await waitFor(async () => (await table.list()).length === all.length, 'the task records');

    engine.crash();
    // An orphan of this node (a crash between create and record), and another cluster's container.
    const orphan = await testDocker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sleep', '60'],
      Labels: { [taskLabels.node]: before.nodeName, [taskLabels.taskId]: String(uniqueTaskId()) },
    });
    const foreign = await testDocker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sleep', '60'],
      Labels: { [taskLabels.node]: `${before.nodeName}-other`, [taskLabels.taskId]: String(uniqueTaskId()) },
    });
    planted.push(foreign.id);
    await writeFile(join(before.sharedDir, 'data', 'a'), '');
    for (const spec of [endsWhileDown, hog]) {
      await waitFor(
        async () => !(await testDocker.getContainer(`kawa-task-${spec.id}`).inspect()).State.Running,
        `task ${spec.id} to end while the runner is down`,
      );
    }

    const after = await startDockerHarness({ restartOf: before });
    harnesses.push(after);
    await after.executor.adopt(await table.list());
    const events: TaskEventFrame[] = after.events;

    expect(await after.event(endsWhileDown.id, ['failed', 'completed'])).toMatchObject({
      status: 'failed',
      exitCode: 7,
    });
    expect(await logOf(after, endsWhileDown.id)).toBe('before\nafter\n');
    expect(await after.event(hog.id, ['failed', 'completed', 'oom'])).toMatchObject({ status: 'oom' });
    expect(await containerGone(orphan.id)).toBe(true);
    expect((await testDocker.getContainer(foreign.id).inspect()).Id).toBe(foreign.id);
    expect(after.executor.liveTasks()).toEqual(
      expect.arrayContaining([
        { taskId: endsAfter.id, status: 'running' },
        { taskId: killed.id, status: 'running' },
      ]),
    );

    await writeFile(join(before.sharedDir, 'data', 'b'), '');
    expect(await after.event(endsAfter.id, ['failed', 'completed'])).toMatchObject({ status: 'failed', exitCode: 9 });
    // Every line once: what the crashed runner wrote is skipped, the rest follows.
    expect(await logOf(after, endsAfter.id)).toBe(seq(1, 1000));

    // Pause and resume reach the adopted container.
    expect(await after.executor.control(killed.id, 'pause')).toEqual({ ok: true });
    expect((await testDocker.getContainer(`kawa-task-${killed.id}`).inspect()).State.Paused).toBe(true);
    expect(await after.executor.control(killed.id, 'resume')).toEqual({ ok: true });
    expect((await testDocker.getContainer(`kawa-task-${killed.id}`).inspect()).State.Paused).toBe(false);
    expect(await after.executor.control(killed.id, 'kill')).toEqual({ ok: true });
    expect(await after.event(killed.id, ['killed', 'failed'])).toMatchObject({ status: 'killed' });
    for (const spec of all) {
      expect(await containerGone(`kawa-task-${spec.id}`)).toBe(true);
      after.executor.finalDelivered(spec.id);
    }
    // No second start: the only running event is the resume's.
    expect(events.filter((event) => event.status === 'running').map((event) => event.taskId)).toEqual([killed.id]);
    await waitFor(async () => (await table.list()).length === 0, 'the records to go');
  });

  it('re-adopts a running VPS and reports one whose container went while it was down as stopped', async () => {
    const image = await fakeSshdImage();
    const engine = crashableEngine();
    const before = await startDockerHarness({ engine });
    harnesses.push(before);
    const vps = (id: number) => taskSpec(id, ['not-run'], { kind: 'vps', publicKey: TEST_PUBLIC_KEY, image });
    const kept = vps(uniqueTaskId());
    const gone = vps(uniqueTaskId());
    for (const spec of [kept, gone]) before.executor.start(spec);
    for (const spec of [kept, gone])
      expect(await before.event(spec.id, ['running', 'failed'])).toMatchObject({ status: 'running' });
    const table = await openTaskTable(before.stateDir);
    await waitFor(async () => (await table.list()).length === 2, 'the VPS records');

    engine.crash();
    await testDocker.getContainer(`kawa-vps-${gone.id}`).remove({ force: true });
    const after = await startDockerHarness({ restartOf: before });
    harnesses.push(after);
    await after.executor.adopt(await table.list());

    expect(await after.event(gone.id, ['stopped', 'failed'])).toMatchObject({ status: 'stopped' });
    expect(after.executor.liveTasks()).toEqual([{ taskId: kept.id, status: 'running' }]);
    expect(after.executor.lookup(kept.id)).toMatchObject({ kind: 'vps', status: 'running' });
    expect((await testDocker.getContainer(`kawa-vps-${kept.id}`).inspect()).State.Running).toBe(true);
    expect(await after.executor.control(kept.id, 'stop')).toEqual({ ok: true });
    expect(await after.event(kept.id, ['stopped', 'failed'])).toMatchObject({ status: 'stopped' });
    expect(await containerGone(`kawa-vps-${kept.id}`)).toBe(true);
  });
});
