import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncProgress } from '@kawa/protocol';
import { eventually, getTask, submit, taskReaches } from '../testing/api.js';
import { TEST_IMAGE } from '../testing/docker.js';
import { FakeRunner } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

describe('task-progress frames', () => {
  let host: TestHost;
  let url: string;
  const runners: FakeRunner[] = [];
  const connect = async (name: string): Promise<FakeRunner> => {
    const runner = await FakeRunner.connect(url, host.tokens.joinToken);
    runners.push(runner);
    await runner.hello(name);
    return runner;
  };

  beforeEach(async () => {
    host = createTestHost();
    url = (await listen(host)).ws;
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.terminate();
    await host.close();
  });

  const loading = (doneBytes: number): SyncProgress => ({
    what: TEST_IMAGE,
    phase: 'pulling',
    doneBytes,
    totalBytes: 100,
  });

  it('show as syncProgress only while the task syncs on that node, and clear when it leaves syncing', async () => {
    const runner = await connect('node1');
    const other = await connect('node2');
    const id = (await submit(host, { command: ['true'], image: TEST_IMAGE, targets: ['node1'] })).taskIds[0] as number;
    await runner.next('task-start');

    // Before syncing: ignored.
    runner.progress(id, loading(1));
    runner.report(id, 'syncing');
    await taskReaches(host, id, 'syncing');
    expect((await getTask(host, id)).syncProgress).toBeNull();

    runner.progress(id, loading(40));
    await eventually(async () => ((await getTask(host, id)).syncProgress?.doneBytes === 40 ? true : undefined));
    // Another node's word about this task is ignored; frames on one link arrive in order, so
    // once node1's next frame shows, node2's was handled before it.
    other.progress(id, loading(99));
    await new Promise((resolve) => setTimeout(resolve, 50));
    runner.progress(id, loading(60));
    await eventually(async () => ((await getTask(host, id)).syncProgress?.doneBytes === 60 ? true : undefined));
    expect((await getTask(host, id)).syncProgress).toEqual(loading(60));

    runner.report(id, 'running');
    const running = await taskReaches(host, id, 'running');
    expect(running.syncProgress).toBeNull();
    runner.progress(id, loading(80));
    runner.report(id, 'completed', { exitCode: 0 });
    const done = await taskReaches(host, id, 'completed');
    expect(done.syncProgress).toBeNull();
  });
});
