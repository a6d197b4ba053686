import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskSchema, buildPath, routes } from '@kawa/protocol';
import { getNode, getTask, taskAction, taskEvents, taskReaches } from '../testing/api.js';
import type { FakeRunner } from '../testing/fake-runner.js';
import { RunnerPool } from '../testing/runner-pool.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';
import { TEST_KEY, createVps, runningVps, vpsAction } from '../testing/vps-api.js';

describe('VPS stop and restart', () => {
  let host: TestHost;
  let url: string;
  const runners = new RunnerPool(() => ({ host, url }));
  const connect = (): Promise<FakeRunner> => runners.connect('node1');
  /** The runner's part of a stop: report stopped, then answer the task-control. */
  const answerStop = async (runner: FakeRunner, id: number): Promise<void> => {
    const control = await runner.next('task-control');
    expect(control).toMatchObject({ taskId: id, action: 'stop' });
    runner.report(id, 'stopped');
    runner.send({ type: 'command-result', requestId: control.requestId, ok: true, error: null });
  };

  beforeEach(async () => {
    host = createTestHost({ config: { heartbeat_interval: 0.1, heartbeat_grace: 0.4 }, commandTimeoutMs: 1_000 });
    url = (await listen(host)).ws;
  });
  afterEach(async () => {
    runners.dropAll();
    await host.close();
  });

  it('stops through the runner, releases everything, and restarts with the same key', async () => {
    const runner = await connect();
    const vps = await runningVps(host, runner, { memory: '2G' });
    expect((await getNode(host, 'node1')).allocated).toMatchObject({ memoryBytes: 2e9, tasks: 1 });

    const stopping = vpsAction(host, vps.id, 'stop');
    await answerStop(runner, vps.id);
    expect(await stopping).toMatchObject({ status: 200, task: { status: 'stopped', node: 'node1' } });
    expect((await getNode(host, 'node1')).allocated).toMatchObject({ memoryBytes: 0, tasks: 0 });
    // Stopping again changes nothing.
    expect(await vpsAction(host, vps.id, 'stop')).toMatchObject({ status: 200, task: { status: 'stopped' } });

    const restarted = await vpsAction(host, vps.id, 'restart');
    expect(restarted).toMatchObject({ status: 200, task: { id: vps.id, status: 'assigned', node: 'node1' } });
    const start = await runner.next('task-start');
    expect(start.task).toMatchObject({ id: vps.id, kind: 'vps', publicKey: TEST_KEY, image: 'debian:12' });
    runner.report(vps.id, 'running');
    await taskReaches(host, vps.id, 'running');
    expect((await taskEvents(host, vps.id)).map((event) => `${event.from}->${event.to}`)).toEqual([
      'null->pending',
      'pending->assigned',
      'assigned->running',
      'running->stopped',
      'stopped->pending',
      'pending->assigned',
      'assigned->running',
    ]);
  });

  it('restarts a running VPS by stopping it first, and a paused one too', async () => {
    const runner = await connect();
    const vps = await runningVps(host, runner);
    const restarting = vpsAction(host, vps.id, 'restart');
    await answerStop(runner, vps.id);
    expect(await restarting).toMatchObject({ status: 200, task: { status: 'assigned' } });
    expect((await runner.next('task-start')).task.id).toBe(vps.id);

    runner.report(vps.id, 'running');
    runner.report(vps.id, 'paused');
    await taskReaches(host, vps.id, 'paused');
    const again = vpsAction(host, vps.id, 'restart');
    await answerStop(runner, vps.id);
    expect(await again).toMatchObject({ status: 200, task: { status: 'assigned' } });
  });

  it('kills a VPS stopped before it was placed, and answers a pending restart as it is', async () => {
    const pending = (await createVps(host, { target: 'node9' })).task?.id as number;
    expect(await vpsAction(host, pending, 'restart')).toMatchObject({ status: 200, task: { status: 'pending' } });
    expect(await vpsAction(host, pending, 'stop')).toMatchObject({ status: 200, task: { status: 'killed' } });
    const answer = await vpsAction(host, pending, 'restart');
    expect({ status: answer.status, code: answer.error?.code }).toEqual({
      status: 409,
      code: 'KAWA_ERR_INVALID_STATE',
    });
  });

  it('kills a stopped VPS on the host alone, and pause/resume refuse it', async () => {
    const runner = await connect();
    const vps = await runningVps(host, runner);
    runner.report(vps.id, 'stopped');
    await taskReaches(host, vps.id, 'stopped');
    expect((await taskAction(host, vps.id, 'resume')).error?.code).toBe('KAWA_ERR_INVALID_STATE');
    expect(await taskAction(host, vps.id, 'kill')).toMatchObject({
      status: 200,
      task: { status: 'killed', reason: 'killed while stopped' },
    });
    expect(runner.frames.filter((frame) => frame.type === 'task-control')).toEqual([]);
  });

  it('answers a wait on a stopped VPS at once', async () => {
    const runner = await connect();
    const vps = await runningVps(host, runner);
    const url = `${buildPath(routes.waitTask.path, { id: vps.id })}?timeoutMs=20000`;
    const waiting = host.app.inject({ method: 'GET', url, headers: host.admin });
    runner.report(vps.id, 'stopped');
    expect(TaskSchema.parse((await waiting).json()).status).toBe('stopped');
    const again = await host.app.inject({ method: 'GET', url, headers: host.admin });
    expect(TaskSchema.parse(again.json()).status).toBe('stopped');
  });

  it('does not restart a lost VPS', async () => {
    const runner = await connect();
    const vps = await runningVps(host, runner);
    await runner.terminate();
    await taskReaches(host, vps.id, 'lost', 5_000);
    const answer = await vpsAction(host, vps.id, 'restart');
    expect({ status: answer.status, code: answer.error?.code }).toEqual({
      status: 409,
      code: 'KAWA_ERR_INVALID_STATE',
    });
  });

  it('reconciles: a stopped VPS is not lost, and a runner still running it is told to stop', async () => {
    const runner = await connect();
    const kept = await runningVps(host, runner);
    const stoppedAway = await runningVps(host, runner);
    runner.report(kept.id, 'stopped');
    await taskReaches(host, kept.id, 'stopped');
    await runner.close();

    // The runner comes back still running the stopped one, and has stopped the other itself.
    const back = await runners.connect('node1', undefined, [
      { taskId: kept.id, status: 'running' },
      { taskId: stoppedAway.id, status: 'stopped' },
    ]);
    expect(await back.next('task-control')).toMatchObject({ taskId: kept.id, action: 'stop' });
    expect((await getTask(host, kept.id)).status).toBe('stopped');
    expect((await taskReaches(host, stoppedAway.id, 'stopped')).reason).toBeNull();

    // Reported by nobody, a stopped VPS stays stopped.
    await back.close();
    await runners.connect('node1');
    expect((await getTask(host, kept.id)).status).toBe('stopped');
  });
});
