import { describe, expect, it } from 'vitest';
import type { Node } from '@kawa/protocol';
import { errorAnswer, fakeHost, json, runWith } from '../../test-support.js';
import { renderNodeHealth } from './health.js';
import { renderNodeList } from './list.js';

const now = 1_700_000_100_000;

function makeNode(fields: Partial<Node> = {}): Node {
  return {
    name: 'node1',
    hostname: 'node1.lab',
    cores: 16,
    memoryBytes: 64e9,
    numa: [
      { id: 0, cpus: [0, 1], memoryBytes: 32e9 },
      { id: 1, cpus: [2, 3], memoryBytes: 32e9 },
    ],
    gpus: [{ index: 0, name: 'NVIDIA A100', uuid: 'GPU-1', memoryTotalBytes: 40e9 }],
    status: 'online',
    version: '0.1.0',
    registeredAt: now - 3_600_000,
    lastHeartbeatAt: now - 2_000,
    usage: {
      cpuPercent: 12.5,
      memoryUsedBytes: 8e9,
      memoryTotalBytes: 64e9,
      temperatures: [{ sensor: 'coretemp', celsius: 45 }],
      gpus: [{ index: 0, utilizationPercent: 34, memoryUsedBytes: 2e9, temperatureCelsius: 62 }],
    },
    drained: false,
    allocated: { cores: 4, memoryBytes: 8e9, gpus: [0], tasks: 2 },
    ...fields,
  };
}

describe('kawa node list', () => {
  it('renders name, status, used/total cores and memory, NUMA, GPUs, CPU and heartbeat', () => {
    const text = renderNodeList(
      [makeNode(), makeNode({ name: 'node2', status: 'offline', gpus: [], usage: null, lastHeartbeatAt: null })],
      false,
      now,
    );
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+CORES\s+MEM\s+NUMA\s+GPUS\s+CPU%\s+TASKS\s+HEARTBEAT$/);
    expect(lines[1]).toMatch(/^node1\s+online\s+4\/16\s+8\.0G\/64\.0G\s+2\s+1\/1\s+13%\s+2\s+2\.0s ago$/);
    expect(lines[2]).toMatch(/^node2\s+offline\s+4\/16\s+8\.0G\/64\.0G\s+2\s+-\s+-\s+2\s+never$/);
  });

  it('says which nodes are drained', () => {
    const text = renderNodeList([makeNode({ drained: true }), makeNode({ name: 'node2' })], false, now);
    const lines = text.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^node1\s+online \(drained\)\s+4\/16\s/);
    expect(lines[2]).toMatch(/^node2\s+online\s+4\/16\s/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expect(renderNodeList([makeNode({ drained: true })], true, now)).toContain('\u001b[33monline (drained)');
  });

  it('prints the API answer with --json', async () => {
    const answer = { nodes: [makeNode()] };
    const run = await runWith(['node', 'list', '--json'], { fetch: fakeHost({ listNodes: () => json(answer) }).fetch });
    expect(JSON.parse(run.stdout)).toEqual(answer);
  });

  it('says how to add a node when there is none', async () => {
    const run = await runWith(['node', 'list'], { fetch: fakeHost({ listNodes: () => json({ nodes: [] }) }).fetch });
    expect(run.stdout).toContain('kawa runner');
  });
});

describe('kawa node health', () => {
  it('shows usage, temperatures and GPUs', () => {
    const text = renderNodeHealth(makeNode(), false, now);
    expect(text).toMatch(/^node1 {2}online {2}heartbeat 2\.0s ago/);
    expect(text).toMatch(/cpu\s+12\.5% of 16 cores/);
    expect(text).toMatch(/memory\s+8\.0G \/ 64\.0G used \(13%\)/);
    expect(text).toMatch(/temperatures\s+coretemp 45°C/);
    expect(text).toMatch(/gpu 0\s+NVIDIA A100, util 34%, mem 2\.0G \/ 40\.0G, 62°C, in use by a task/);
  });

  it('asks for one node by name, and reports an unknown one', async () => {
    const host = fakeHost({
      getNode: (request) =>
        request.params.name === 'node1'
          ? json(makeNode())
          : errorAnswer('KAWA_ERR_NODE_NOT_FOUND', `no node ${request.params.name}`, 404),
    });
    const one = await runWith(['node', 'health', 'node1', '--json'], { fetch: host.fetch });
    expect((JSON.parse(one.stdout) as Node).name).toBe('node1');
    const missing = await runWith(['node', 'health', 'nodeX'], { fetch: host.fetch });
    expect(missing).toMatchObject({ code: 1, stderr: 'error: no node nodeX (KAWA_ERR_NODE_NOT_FOUND)\n' });
  });
});

describe('kawa node drain|undrain', () => {
  it('drains a node and says its tasks finish', async () => {
    const host = fakeHost({ drainNode: (request) => json(makeNode({ name: request.params.name, drained: true })) });
    const run = await runWith(['node', 'drain', 'node1'], { fetch: host.fetch });
    expect(run).toEqual({
      code: 0,
      stdout:
        'node node1 drained: it takes no new tasks; the 2 tasks it holds finish (undo with kawa node undrain node1)\n',
      stderr: '',
    });
    expect(host.requests.map((request) => [request.method, request.route, request.params.name])).toEqual([
      ['POST', 'drainNode', 'node1'],
    ]);
    const idle = fakeHost({
      drainNode: () => json(makeNode({ drained: true, allocated: { cores: 0, memoryBytes: 0, gpus: [], tasks: 0 } })),
    });
    expect((await runWith(['node', 'drain', 'node1'], { fetch: idle.fetch })).stdout).toContain('it runs no task now');
  });

  it('undrains a node, and prints the node with --json', async () => {
    const host = fakeHost({ undrainNode: () => json(makeNode({ drained: false })) });
    const run = await runWith(['node', 'undrain', 'node1'], { fetch: host.fetch });
    expect(run.stdout).toBe('node node1 undrained: it takes new tasks again\n');
    const printed = await runWith(['node', 'undrain', 'node1', '--json'], { fetch: host.fetch });
    expect(JSON.parse(printed.stdout)).toMatchObject({ name: 'node1', drained: false });
  });

  it("reports the host's refusal: an unknown node, or a token that is not an admin's", async () => {
    const missing = fakeHost({ drainNode: () => errorAnswer('KAWA_ERR_NODE_NOT_FOUND', 'no node nodeX', 404) });
    expect(await runWith(['node', 'drain', 'nodeX'], { fetch: missing.fetch })).toMatchObject({
      code: 1,
      stderr: 'error: no node nodeX (KAWA_ERR_NODE_NOT_FOUND)\n',
    });
    const user = fakeHost({ undrainNode: () => errorAnswer('KAWA_ERR_FORBIDDEN', 'admins only', 403) });
    expect((await runWith(['node', 'undrain', 'node1'], { fetch: user.fetch })).stderr).toContain('KAWA_ERR_FORBIDDEN');
  });

  it('refuses a missing name as a usage error', async () => {
    const host = fakeHost({});
    expect((await runWith(['node', 'drain'], { fetch: host.fetch })).code).toBe(2);
    expect(host.requests).toHaveLength(0);
  });
});
