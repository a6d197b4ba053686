import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TaskEventsResponseSchema, buildPath, linkCloseCodes, routes } from '@kawa/protocol';
import { getNode, getTask, submit, taskAction, taskReaches, eventually } from '../testing/api.js';
import { FakeRunner, testResources } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

describe('runner link', () => {
  let host: TestHost;
  let url: string;
  const runners: FakeRunner[] = [];

  const connect = async (): Promise<FakeRunner> => {
    const runner = await FakeRunner.connect(url, host.tokens.joinToken);
    runners.push(runner);
    return runner;
  };

  beforeEach(async () => {
    host = createTestHost({ config: { heartbeat_interval: 0.1, heartbeat_grace: 0.4 }, commandTimeoutMs: 500 });
    url = (await listen(host)).ws;
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) runner.terminate().catch(() => undefined);
    await host.close();
  });

  it('refuses the upgrade with plain HTTP 401/403 before any frame', async () => {
    await expect(FakeRunner.connect(url, 'kawa_join_wrong')).rejects.toThrow('HTTP 401');
    await expect(FakeRunner.connect(url, host.tokens.adminToken)).rejects.toThrow('HTTP 403');
  });

  it('answers hello with welcome and registers the node', async () => {
    const runner = await connect();
    const welcome = await runner.hello('node1', testResources({ cores: 4 }));
    expect(welcome.heartbeatIntervalMs).toBe(100);
    runner.stopHeartbeats();
    runner.heartbeat(37);
    const seen = await eventually(async () => {
      const node = await getNode(host, 'node1');
      return node.usage?.cpuPercent === 37 ? node : undefined;
    });
    expect(seen.lastHeartbeatAt).not.toBeNull();
    const node = await getNode(host, 'node1');
    expect(node).toMatchObject({ name: 'node1', status: 'online', cores: 4, allocated: { cores: 0, tasks: 0 } });
  });

  it('delivers task-start and applies task events', async () => {
    const runner = await connect();
    await runner.hello('node1');
    const { taskIds } = await submit(host, { command: ['echo', 'hi'], env: { A: 'b' } });
    const id = taskIds[0] as number;
    const start = await runner.next('task-start');
    expect(start.task).toMatchObject({ id, command: ['echo', 'hi'], env: { A: 'b' }, container: null, cores: 1 });
    expect(await getTask(host, id)).toMatchObject({ status: 'assigned', node: 'node1', reason: null });
    expect((await getNode(host, 'node1')).allocated).toMatchObject({ cores: 1, tasks: 1 });

    runner.report(id, 'running');
    const running = await taskReaches(host, id, 'running');
    expect(running.startedAt).not.toBeNull();

    runner.report(id, 'completed', { exitCode: 0 });
    const done = await taskReaches(host, id, 'completed');
    expect(done).toMatchObject({ exitCode: 0 });
    expect(done.endedAt).not.toBeNull();
    expect((await getNode(host, 'node1')).allocated).toMatchObject({ cores: 0, tasks: 0 });

    const events = await host.app.inject({
      method: 'GET',
      url: buildPath(routes.taskEvents.path, { id }),
      headers: host.admin,
    });
    const transitions = TaskEventsResponseSchema.parse(events.json()).events.map(
      (event) => `${event.from}->${event.to}`,
    );
    expect(transitions).toEqual(['null->pending', 'pending->assigned', 'assigned->running', 'running->completed']);
  });

  it('acknowledges each task-event once it is stored, repeats and moot ones too', async () => {
    const runner = await connect();
    await runner.hello('node1');
    const id = (await submit(host, { command: ['true'] })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'running');
    expect(await runner.next('task-event-ack')).toEqual({ type: 'task-event-ack', taskId: id, status: 'running' });
    runner.report(id, 'completed', { exitCode: 0 });
    expect(await runner.next('task-event-ack')).toEqual({ type: 'task-event-ack', taskId: id, status: 'completed' });
    // Stored by the time the ack left: no waiting needed.
    expect(await getTask(host, id)).toMatchObject({ status: 'completed', exitCode: 0 });
    // A repeat (sent again after a crash lost the ack) and an event about an unknown task are acked too.
    runner.report(id, 'completed', { exitCode: 0 });
    expect(await runner.next('task-event-ack')).toMatchObject({ taskId: id, status: 'completed' });
    runner.report(9999, 'failed');
    expect(await runner.next('task-event-ack')).toMatchObject({ taskId: 9999, status: 'failed' });
  });

  it('applies a burst of task-events in few transactions, in order, and acks each after its commit', async () => {
    const runner = await connect();
    await runner.hello('node1', testResources({ cores: 8 }));
    const ids = (await submit(host, { command: ['true'], targets: Array(8).fill('node1') })).taskIds;
    for (const _ of ids) await runner.next('task-start');
    // Transactions begun outside any other: each is one commit.
    const db = host.store.db;
    const transaction = db.transaction.bind(db);
    let commits = 0;
    vi.spyOn(db, 'transaction').mockImplementation(((body: (...args: never[]) => unknown) => {
      const run = transaction(body);
      return Object.assign((...args: never[]) => {
        if (!db.inTransaction) commits += 1;
        return run(...args);
      }, run);
    }) as typeof db.transaction);
    // 16 frames written at once: each task's running, then its completed (order matters).
    for (const id of ids) runner.report(id, 'running');
    for (const id of ids) runner.report(id, 'completed', { exitCode: 0 });
    // A heartbeat behind them: the events before it are stored first.
    runner.heartbeat();
    const acks = [];
    for (let i = 0; i < 2 * ids.length; i += 1) acks.push(await runner.next('task-event-ack'));
    expect(acks.map((ack) => `${ack.taskId}:${ack.status}`)).toEqual([
      ...ids.map((id) => `${id}:running`),
      ...ids.map((id) => `${id}:completed`),
    ]);
    for (const id of ids) expect(await getTask(host, id)).toMatchObject({ status: 'completed', exitCode: 0 });
    // One per turn of the event loop that received frames, not one per event.
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(ids.length);
  });

  it('ignores impossible transitions and reports about other nodes', async () => {
    const runner = await connect();
    await runner.hello('node1');
    const other = await connect();
    await other.hello('node2', testResources({ cores: 1 }));
    const [id, marker] = (await submit(host, { command: ['true'], targets: ['node1', 'node2'] })).taskIds as [
      number,
      number,
    ];
    await runner.next('task-start');
    await other.next('task-start');
    runner.report(id, 'completed', { exitCode: 0 });
    await taskReaches(host, id, 'completed');
    runner.report(id, 'running');
    other.report(id, 'failed', { exitCode: 1 });
    // Frames on one link are handled in order: once these later ones show, the earlier ones were seen.
    other.report(marker, 'running');
    await taskReaches(host, marker, 'running');
    runner.report(marker, 'failed', { exitCode: 3 });
    other.report(marker, 'completed', { exitCode: 0 });
    await taskReaches(host, marker, 'completed');
    expect(await getTask(host, id)).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(await getTask(host, marker)).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('pauses, resumes and kills through the runner', async () => {
    const runner = await connect();
    await runner.hello('node1');
    const id = (await submit(host, { command: ['sleep', '100'] })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'running');
    await taskReaches(host, id, 'running');

    for (const [action, status] of [
      ['pause', 'paused'],
      ['resume', 'running'],
      ['kill', 'killed'],
    ] as const) {
      const answer = taskAction(host, id, action);
      const control = await runner.next('task-control');
      expect(control).toMatchObject({ taskId: id, action });
      runner.report(id, status, { exitCode: status === 'killed' ? 137 : null });
      runner.send({ type: 'command-result', requestId: control.requestId, ok: true, error: null });
      expect(await answer).toMatchObject({ status: 200, task: { id, status } });
    }
  });

  it('refuses actions in the wrong state with 409 and passes runner errors on', async () => {
    const runner = await connect();
    await runner.hello('node1');
    const id = (await submit(host, { command: ['sleep', '100'] })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'running');
    await taskReaches(host, id, 'running');

    expect(await taskAction(host, id, 'resume')).toMatchObject({
      status: 409,
      error: { code: 'KAWA_ERR_INVALID_STATE' },
    });

    const answer = taskAction(host, id, 'pause');
    const control = await runner.next('task-control');
    runner.send({
      type: 'command-result',
      requestId: control.requestId,
      ok: false,
      error: { code: 'KAWA_ERR_CGROUP_UNAVAILABLE', message: 'no freezer' },
    });
    expect(await answer).toMatchObject({
      status: 422,
      error: { code: 'KAWA_ERR_CGROUP_UNAVAILABLE', message: 'no freezer' },
    });

    runner.report(id, 'completed', { exitCode: 0 });
    await taskReaches(host, id, 'completed');
    expect(await taskAction(host, id, 'pause')).toMatchObject({
      status: 409,
      error: { code: 'KAWA_ERR_INVALID_STATE' },
    });
    expect(await taskAction(host, id, 'kill')).toMatchObject({
      status: 409,
      error: { code: 'KAWA_ERR_INVALID_STATE' },
    });
  });

  it('answers 504 when the runner does not answer in time', async () => {
    const runner = await connect();
    await runner.hello('node1');
    const id = (await submit(host, { command: ['sleep', '100'] })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'running');
    await taskReaches(host, id, 'running');
    const answer = taskAction(host, id, 'kill');
    await runner.next('task-control');
    expect(await answer).toMatchObject({ status: 504, error: { code: 'KAWA_ERR_RUNNER_TIMEOUT' } });
  });

  it('kills a pending task without a runner, and answers 503 for a placed task whose node is gone', async () => {
    const pending = (await submit(host, { command: ['true'], targets: ['node9'] })).taskIds[0] as number;
    expect((await getTask(host, pending)).reason).toBe('waiting for node node9 to register');
    expect(await taskAction(host, pending, 'kill')).toMatchObject({
      status: 200,
      task: { status: 'killed', reason: 'killed before it started' },
    });

    const runner = await connect();
    await runner.hello('node1');
    const id = (await submit(host, { command: ['sleep', '100'] })).taskIds[0] as number;
    await runner.next('task-start');
    await runner.close();
    expect(await taskAction(host, id, 'kill')).toMatchObject({
      status: 503,
      error: { code: 'KAWA_ERR_RUNNER_UNAVAILABLE' },
    });
  });

  it('marks a silent node offline after the grace and its tasks lost', async () => {
    const runner = await connect();
    await runner.hello('node1');
    const id = (await submit(host, { command: ['sleep', '100'] })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'running');
    await taskReaches(host, id, 'running');
    runner.stopHeartbeats();
    const lost = await taskReaches(host, id, 'lost');
    expect(lost.reason).toMatch(/node1 went offline: no heartbeat/);
    expect(await getNode(host, 'node1')).toMatchObject({ status: 'offline', allocated: { tasks: 0 } });
    await runner.closed;
  });

  it('marks a node whose link closed offline if it does not return within the grace', async () => {
    const runner = await connect();
    await runner.hello('node1');
    const id = (await submit(host, { command: ['sleep', '100'] })).taskIds[0] as number;
    await runner.next('task-start');
    await runner.terminate();
    const lost = await taskReaches(host, id, 'lost');
    expect(lost.reason).toMatch(/did not come back/);
  });

  it('brings a lost task back to running when its runner returns with it', async () => {
    const first = await connect();
    await first.hello('node1', testResources({ cores: 4 }));
    const [kept, forgotten] = (await submit(host, { command: ['sleep', '100'], targets: ['node1', 'node1'] }))
      .taskIds as [number, number];
    await first.next('task-start');
    await first.next('task-start');
    first.report(kept, 'running');
    first.report(forgotten, 'running');
    await taskReaches(host, forgotten, 'running');
    await first.terminate();
    await taskReaches(host, kept, 'lost');

    const second = await connect();
    await second.hello('node1', testResources({ cores: 4 }), [{ taskId: kept, status: 'running' }]);
    expect(await getTask(host, kept)).toMatchObject({ status: 'running', endedAt: null });
    expect(await getTask(host, forgotten)).toMatchObject({ status: 'lost' });
    expect((await getNode(host, 'node1')).allocated).toMatchObject({ tasks: 1 });
  });

  it('reconciles on re-hello within the grace: tasks the runner forgot are lost', async () => {
    // A long grace, so the node cannot go offline between the two links however slow the machine.
    await host.close();
    host = createTestHost({ config: { heartbeat_interval: 0.1, heartbeat_grace: 30 } });
    url = (await listen(host)).ws;
    const first = await connect();
    await first.hello('node1');
    const [kept, forgotten] = (await submit(host, { command: ['true'], targets: ['node1', 'node1'], cores: 0 }))
      .taskIds as [number, number];
    await first.next('task-start');
    await first.next('task-start');
    first.report(kept, 'running');
    first.report(forgotten, 'running');
    await taskReaches(host, kept, 'running');
    await taskReaches(host, forgotten, 'running');
    await first.terminate();
    // The host may see the new hello before the old socket's close: then it answers nameInUse
    // and the runner tries again, as a real one would.
    let second: FakeRunner | null = null;
    for (let attempt = 0; attempt < 50 && second === null; attempt += 1) {
      const candidate = await connect();
      candidate.send({
        type: 'hello',
        name: 'node1',
        version: 'test',
        resources: testResources(),
        // The runner forgot `forgotten` while away (for example its state dir was wiped).
        liveTasks: [{ taskId: kept, status: 'paused' }],
      });
      const outcome = await Promise.race([
        candidate.next('welcome').then(
          () => 'welcome',
          () => 'closed',
        ),
        candidate.closed.then(() => 'closed'),
      ]);
      if (outcome === 'welcome') second = candidate;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(second).not.toBeNull();
    expect(await getTask(host, forgotten)).toMatchObject({
      status: 'lost',
      reason: 'the runner on node1 no longer has it',
    });
    expect(await getTask(host, kept)).toMatchObject({ status: 'paused' });
    expect(await getNode(host, 'node1')).toMatchObject({ status: 'online', allocated: { tasks: 1 } });
  });

  it('requeues an assigned task the runner never received (regression: lost after a host kill -9 reset its task-start)', async () => {
    const first = await connect();
    await first.hello('node1');
    const [id] = (await submit(host, { command: ['true'] })).taskIds as [number];
    await first.next('task-start');
    expect(await getTask(host, id)).toMatchObject({ status: 'assigned' });
    await first.terminate();
    // The runner comes back without it: the task-start never reached it.
    const second = await connect();
    await second.hello('node1', testResources(), []);
    const start = await second.next('task-start');
    expect(start).toMatchObject({ task: { id } });
    const events = await host.app.inject({
      method: 'GET',
      url: buildPath(routes.taskEvents.path, { id }),
      headers: host.admin,
    });
    const transitions = TaskEventsResponseSchema.parse(events.json()).events.map(
      (event) => `${event.from}->${event.to}`,
    );
    expect(transitions).toEqual(['null->pending', 'pending->assigned', 'assigned->pending', 'pending->assigned']);
  });

  it('closes a second runner with the same name with nameInUse', async () => {
    const first = await connect();
    await first.hello('node1');
    const second = await connect();
    second.send({ type: 'hello', name: 'node1', version: 'test', resources: testResources(), liveTasks: [] });
    expect((await second.closed).code).toBe(linkCloseCodes.nameInUse);
    expect((await getNode(host, 'node1')).status).toBe('online');
  });

  it('closes the link on an invalid frame with protocolError', async () => {
    const notJson = await connect();
    notJson.sendRaw('{nope');
    expect((await notJson.closed).code).toBe(linkCloseCodes.protocolError);

    const noHello = await connect();
    noHello.send({
      type: 'heartbeat',
      usage: { cpuPercent: 0, memoryUsedBytes: 0, memoryTotalBytes: 1, temperatures: [], gpus: [] },
    });
    expect((await noHello.closed).code).toBe(linkCloseCodes.protocolError);

    const badFrame = await connect();
    await badFrame.hello('node1');
    badFrame.sendRaw(JSON.stringify({ type: 'task-event', taskId: -1 }));
    expect((await badFrame.closed).code).toBe(linkCloseCodes.protocolError);
  });

  it('closes runner links with hostShutdown when the host closes', async () => {
    const runner = await connect();
    await runner.hello('node1');
    await host.app.close();
    expect((await runner.closed).code).toBe(linkCloseCodes.hostShutdown);
  });
});
