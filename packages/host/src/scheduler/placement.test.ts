import { describe, expect, it } from 'vitest';
import type { NodeResources, Target } from '@kawa/protocol';
import { NodeCapacity } from './capacity.js';
import { neverFits, place, type Candidate, type PlacementRequest } from './placement.js';

function node(name: string, resources: Partial<NodeResources> = {}, state: Partial<Candidate> = {}): Candidate {
  return {
    name,
    status: 'online',
    connected: true,
    capacity: new NodeCapacity(),
    resources: {
      hostname: name,
      cores: 4,
      memoryBytes: 8e9,
      numa: [
        { id: 0, cpus: [0, 1], memoryBytes: null },
        { id: 1, cpus: [2, 3], memoryBytes: null },
      ],
      gpus: [0, 1].map((index) => ({ index, name: 'gpu', uuid: `GPU-${index}`, memoryTotalBytes: null })),
      ...resources,
    },
    ...state,
  };
}

const target = (nodeName: string, numa: number | null = null, gpus: number[] = []): Target => ({
  node: nodeName,
  numa,
  gpus,
});
const request = (overrides: Partial<PlacementRequest> = {}): PlacementRequest => ({
  cores: 1,
  memoryBytes: null,
  target: null,
  ...overrides,
});

function run(req: PlacementRequest, nodes: Candidate[]) {
  const byName = new Map(nodes.map((candidate) => [candidate.name, candidate]));
  return place(req, (name) => byName.get(name), nodes);
}

describe('neverFits', () => {
  const resources = node('node2').resources;
  it('names what can never fit', () => {
    expect(neverFits(request({ cores: 8 }), 'node2', resources)).toBe('node node2 has 4 cores; the task asks for 8');
    expect(neverFits(request({ memoryBytes: 16e9 }), 'node2', resources)).toMatch(
      /has 8\.0G of memory; the task asks for 16\.0G/,
    );
    expect(neverFits(request({ target: target('node2', 3) }), 'node2', resources)).toBe(
      'node node2 has no NUMA zone 3 (zones: 0, 1)',
    );
    expect(neverFits(request({ cores: 3, target: target('node2', 1) }), 'node2', resources)).toMatch(
      /NUMA zone 1 of node node2 has 2 cores/,
    );
    expect(neverFits(request({ target: target('node2', null, [1, 5]) }), 'node2', resources)).toBe(
      'node node2 has no GPU 5 (GPUs: 0, 1)',
    );
    expect(
      neverFits(request({ cores: 4, memoryBytes: 8e9, target: target('node2', 0, [0, 1]) }), 'node2', resources),
    ).toMatch(/NUMA/);
    expect(
      neverFits(request({ cores: 2, memoryBytes: 8e9, target: target('node2', 0, [0, 1]) }), 'node2', resources),
    ).toBeNull();
  });
});

describe('place', () => {
  it('places a named target when it fits and says why it waits when it does not', () => {
    const node2 = node('node2', { cores: 2 });
    expect(run(request({ target: target('node2') }), [node2])).toEqual({
      ok: true,
      node: 'node2',
      numa: null,
      gpus: [],
    });
    node2.capacity.hold({ id: 1, cores: 1.5, memoryBytes: null, numa: null, gpus: [] });
    expect(run(request({ cores: 2, target: target('node2') }), [node2])).toEqual({
      ok: false,
      reason: 'waiting for 2 cores on node2 (1.5 of 2 in use)',
    });
    expect(run(request({ cores: 0.5, target: target('node2') }), [node2])).toMatchObject({ ok: true });
  });

  it('waits for unknown, offline and disconnected nodes', () => {
    expect(run(request({ target: target('node9') }), [])).toEqual({
      ok: false,
      reason: 'waiting for node node9 to register',
    });
    expect(
      run(request({ target: target('n') }), [node('n', {}, { status: 'offline', connected: false })]),
    ).toMatchObject({
      reason: 'waiting for node n to come back online',
    });
    expect(run(request({ target: target('n') }), [node('n', {}, { connected: false })])).toMatchObject({
      reason: 'waiting for node n to reconnect',
    });
    expect(run(request(), [])).toEqual({ ok: false, reason: 'no node is online' });
    expect(run(request(), [node('n', {}, { status: 'offline', connected: false })])).toEqual({
      ok: false,
      reason: 'no node is online',
    });
  });

  it('picks the least-loaded node that fits when there is no target', () => {
    const busy = node('a');
    busy.capacity.hold({ id: 1, cores: 3, memoryBytes: null, numa: null, gpus: [] });
    const idle = node('b');
    expect(run(request({ cores: 2 }), [busy, idle])).toMatchObject({ ok: true, node: 'b' });
    idle.capacity.hold({ id: 2, cores: 4, memoryBytes: null, numa: null, gpus: [] });
    expect(run(request({ cores: 2 }), [busy, idle])).toEqual({
      ok: false,
      reason: 'waiting for 2 cores on a (3 of 4 in use); waiting for 2 cores on b (4 of 4 in use)',
    });
  });

  it('counts NUMA cores against the zone and GPUs exclusively; cores=0 reserves nothing', () => {
    const n = node('n');
    n.capacity.hold({ id: 1, cores: 2, memoryBytes: null, numa: 0, gpus: [1] });
    expect(run(request({ target: target('n', 0) }), [n])).toEqual({
      ok: false,
      reason: 'waiting for 1 core in NUMA zone 0 of n (2 of 2 in use)',
    });
    expect(run(request({ target: target('n', 1) }), [n])).toEqual({ ok: true, node: 'n', numa: 1, gpus: [] });
    expect(run(request({ cores: 0, target: target('n', null, [1]) }), [n])).toEqual({
      ok: false,
      reason: 'waiting for GPU 1 on n (held: GPU 1 by task 1)',
    });
    n.capacity.hold({ id: 2, cores: 2, memoryBytes: null, numa: null, gpus: [] });
    expect(run(request({ cores: 0 }), [n])).toMatchObject({ ok: true });
    expect(run(request({ cores: 0, target: target('n', null, [0]) }), [n])).toEqual({
      ok: true,
      node: 'n',
      numa: null,
      gpus: [0],
    });
  });

  it('keeps fractional cores exact enough that 0.1 + 0.2 fits in 0.3', () => {
    const n = node('n', { cores: 1 });
    n.capacity.hold({ id: 1, cores: 0.1, memoryBytes: null, numa: null, gpus: [] });
    n.capacity.hold({ id: 2, cores: 0.2, memoryBytes: null, numa: null, gpus: [] });
    expect(run(request({ cores: 0.7 }), [n])).toMatchObject({ ok: true });
    n.capacity.release({ id: 1, cores: 0.1, memoryBytes: null, numa: null, gpus: [] });
    n.capacity.release({ id: 2, cores: 0.2, memoryBytes: null, numa: null, gpus: [] });
    expect(n.capacity.cores).toBe(0);
  });
});
