import { describe, expect, it } from 'vitest';
import { defaultPolicy, held, node, pass, queued, resources } from '../testing/scheduler-input.js';
import type { Holding, QueuedTask, SchedulerNode } from './model.js';
import { holdingAfter, schedule } from './schedule.js';

describe('schedule: queue order', () => {
  it('places higher priorities first, then by submit order (id)', () => {
    const outcome = pass(
      [node('n1', resources(2))],
      [held(1, 'n1')],
      [queued(10), queued(11, { priority: 10 }), queued(12, { priority: 10 })],
    );
    expect(outcome.placed).toEqual({ 11: 'n1' });
    expect(outcome.reason(12)).toBe('waiting for 1 core on n1 (2 of 2 in use)');
    expect(outcome.reason(10)).toBe('waiting for 1 core on n1 (2 of 2 in use)');
    expect(pass([node('n1', resources(2))], [held(1, 'n1')], [queued(21), queued(20)]).placed).toEqual({ 20: 'n1' });
  });

  it('gives every pending task of a shape one shared reason object', () => {
    const queue = [1, 2, 3].map((id) => queued(id, { cores: 4 }));
    const { result } = pass([node('n1', resources(2))], [], queue);
    expect(result.waiting.size).toBe(1);
  });
});

describe('schedule: backfill and its bound', () => {
  const nodes = () => [node('n1', resources(4))];
  const head = queued(10, { cores: 2, queuedAt: 0 });
  const small = queued(11, { cores: 1, queuedAt: 0 });

  it.each([
    {
      case: 'the head has waited less than the bound: a smaller task behind it backfills',
      now: 59_999,
      placed: { 11: 'n1' },
      // Reasons describe the nodes as the pass left them: the small task took the last core.
      headReason: 'waiting for 2 cores on n1 (4 of 4 in use)',
      smallReason: null,
      reservations: [],
    },
    {
      case: 'the head has waited the bound: what it needs is reserved, and the smaller task waits',
      now: 60_000,
      placed: {},
      headReason: 'waiting for 2 cores on n1 (3 of 4 in use) (n1 is reserved for task 10)',
      smallReason: 'waiting behind task 10, which has n1 reserved',
      reservations: [[10, 'n1']],
    },
  ])('$case', ({ now, placed, headReason, smallReason, reservations }) => {
    const outcome = pass(nodes(), [held(1, 'n1', { cores: 3 })], [head, small], { now });
    expect(outcome.placed).toEqual(placed);
    expect(outcome.reason(10)).toBe(headReason);
    expect(outcome.reason(11)).toBe(smallReason);
    expect([...outcome.result.reservations]).toEqual(reservations);
  });

  it('reserves at once with a bound of 0', () => {
    const outcome = pass(nodes(), [held(1, 'n1', { cores: 3 })], [head, small], { reserveAfterMs: 0 });
    expect(outcome.placed).toEqual({});
  });

  it('holds back only what the head needs: other resources still backfill', () => {
    const gpuNode = node('g', resources(8, { gpus: [0, 1].map((index) => gpu(index)) }));
    const outcome = pass(
      [gpuNode],
      [held(1, 'g', { gpus: [0] })],
      [queued(10, { gpuCount: 2 }), queued(11, { cores: 2 }), queued(12, { gpuCount: 1 })],
      { now: 60_000 },
    );
    expect(outcome.placed).toEqual({ 11: 'g' });
    expect(outcome.reason(10)).toBe('waiting for 2 GPUs on g: GPU 0 held by task 1 (g is reserved for task 10)');
    expect(outcome.reason(12)).toBe('waiting behind task 10, which has g reserved');
  });

  it('keeps a reservation on the node it was made on in an earlier pass', () => {
    const both = [node('a', resources(4)), node('b', resources(4))];
    const holdings = [held(1, 'a', { cores: 3 }), held(2, 'b', { cores: 3 })];
    expect(pass(both, holdings, [head], { now: 60_000 }).result.reservations.get(10)).toBe('a');
    const again = pass(both, holdings, [head], { now: 60_000, reservations: new Map([[10, 'b']]) });
    expect(again.result.reservations.get(10)).toBe('b');
  });

  it('lets a later, higher-priority task go before a reserved one (priority is the order)', () => {
    const outcome = pass(nodes(), [held(1, 'n1', { cores: 2 })], [head, queued(11, { priority: 5, cores: 2 })], {
      now: 60_000,
    });
    expect(outcome.placed).toEqual({ 11: 'n1' });
  });

  it('counts a reserved task toward its batch’s --max-parallel', () => {
    const batch = { batchId: 4, maxParallel: 1 };
    const outcome = pass(
      [node('a', resources(4)), node('b', resources(4))],
      [held(1, 'a', { cores: 3 })],
      [queued(10, { ...batch, cores: 2, target: 'a' }), queued(11, { ...batch, cores: 1, target: 'b' })],
      { now: 60_000 },
    );
    expect(outcome.placed).toEqual({});
    expect(outcome.reason(11)).toBe('batch 4 is at its --max-parallel 1');
  });
});

function gpu(index: number) {
  return { index, name: 'NVIDIA A100-SXM4-80GB', uuid: `GPU-${index}`, memoryTotalBytes: null };
}

describe('schedule: cores, NUMA zones and memory', () => {
  it('counts a zone’s cores: a full zone waits while the node has free cores in the other', () => {
    const outcome = pass(
      [node('n', resources(8))],
      [held(1, 'n', { cores: 4, numa: 0 })],
      [queued(10, { target: 'n:0' }), queued(11, { target: 'n:1' }), queued(12)],
    );
    expect(outcome.placed).toEqual({ 11: 'n:1', 12: 'n' });
    expect(outcome.reason(10)).toBe('waiting for 1 core in NUMA zone 0 of n (4 of 4 in use)');
  });

  it('picks a zone for numa auto: the best fit, and says so when no zone has room', () => {
    const outcome = pass(
      [node('n', resources(16))],
      [held(1, 'n', { cores: 7, numa: 0 })],
      [queued(10, { numaAuto: true }), queued(11, { numaAuto: true, cores: 2 })],
    );
    expect(outcome.placed).toEqual({ 10: 'n:0', 11: 'n:1' });
    const full = pass(
      [node('n', resources(16))],
      [held(1, 'n', { cores: 5, numa: 0 }), held(2, 'n', { cores: 5, numa: 1 })],
      [queued(12, { numaAuto: true, cores: 4 }), queued(13, { numaAuto: true, cores: 9, target: 'n' })],
    );
    expect(full.reason(12)).toBe('waiting for 4 cores in one NUMA zone of n (zone 0 has 3 free)');
    expect(full.reason(13)).toBe('no NUMA zone of node n has 9 cores (the largest has 8)');
  });

  it('counts memory per node, and per zone where the zone reports it', () => {
    const n = node('n', resources(4, { memoryBytes: 16e9, zoneMemory: 8e9 }));
    const outcome = pass(
      [n],
      [held(1, 'n', { memoryBytes: 6e9, numa: 0 })],
      [
        queued(10, { memoryBytes: 4e9, target: 'n:0' }),
        queued(11, { memoryBytes: 4e9, target: 'n:1' }),
        queued(12, { memoryBytes: 8e9 }),
        queued(13, { memoryBytes: 32e9, target: 'n' }),
      ],
    );
    expect(outcome.placed).toEqual({ 11: 'n:1' });
    expect(outcome.reason(10)).toBe('waiting for 4.0G of memory in NUMA zone 0 of n (6.0G of 8.0G in use)');
    expect(outcome.reason(12)).toBe('waiting for 8.0G of memory on n (10.0G of 16.0G in use)');
    expect(outcome.reason(13)).toBe('node n has 16.0G of memory; the task asks for 32.0G');
  });

  it('keeps fractional cores exact enough that 0.1 + 0.2 + 0.7 fits in 1, and cores 0 asks for none', () => {
    const outcome = pass(
      [node('n', resources(2))],
      [held(1, 'n', { cores: 0.1 }), held(2, 'n', { cores: 0.2 })],
      [queued(10, { cores: 1.7 }), queued(11, { cores: 0 })],
    );
    expect(outcome.placed).toEqual({ 10: 'n', 11: 'n' });
  });

  it('refuses a request bigger than one that found no node without searching, with the right reason', () => {
    const outcome = pass(
      [node('a', resources(4))],
      [held(1, 'a', { cores: 3 })],
      [queued(10, { cores: 2 }), queued(11, { cores: 4, memoryBytes: 1e9 }), queued(12, { cores: 1 })],
    );
    expect(outcome.placed).toEqual({ 12: 'a' });
    expect(outcome.reason(11)).toBe('waiting for 4 cores on a (4 of 4 in use)');
  });
});

describe('schedule: nodes that take nothing', () => {
  it.each<{ case: string; nodes: SchedulerNode[]; target?: string; reason: string }>([
    { case: 'no node at all', nodes: [], reason: 'no node is online' },
    {
      case: 'only offline nodes',
      nodes: [node('x', resources(), { status: 'offline', connected: false })],
      reason: 'no node is online',
    },
    {
      case: 'every online node drained',
      nodes: [node('x', resources(), { drained: true })],
      reason: 'no node takes tasks: every online node is drained',
    },
    { case: 'an unknown target', nodes: [], target: 'ghost', reason: 'waiting for node ghost to register' },
    {
      case: 'an offline target',
      nodes: [node('x', resources(), { status: 'offline', connected: false })],
      target: 'x',
      reason: 'waiting for node x to come back online',
    },
    {
      case: 'a disconnected target',
      nodes: [node('x', resources(), { connected: false })],
      target: 'x',
      reason: 'waiting for node x to reconnect',
    },
    {
      case: 'a drained target',
      nodes: [node('x', resources(), { drained: true })],
      target: 'x',
      reason: 'x is drained ("kawa node undrain x" lets it take tasks again)',
    },
  ])('$case', ({ nodes, target, reason }) => {
    const outcome = pass(nodes, [], [queued(10, target === undefined ? {} : { target })]);
    expect(outcome.placed).toEqual({});
    expect(outcome.reason(10)).toBe(reason);
  });

  it('places nothing new on a drained node but keeps counting what runs there', () => {
    const nodes = [node('a', resources(4), { drained: true }), node('b', resources(4))];
    const outcome = pass(nodes, [held(1, 'a', { cores: 4 })], [queued(10), queued(11, { target: 'a' })]);
    expect(outcome.placed).toEqual({ 10: 'b' });
    expect(outcome.reason(11)).toMatch(/^a is drained/);
  });

  it('names the first nodes that are full and counts the rest', () => {
    const nodes = [1, 2, 3, 4, 5].map((index) => node(`n${index}`, resources(2)));
    const holdings = nodes.map((each, index) => held(index + 1, each.name, { cores: 2 }));
    expect(pass(nodes, holdings, [queued(10)]).reason(10)).toBe(
      'waiting for 1 core on n1 (2 of 2 in use); waiting for 1 core on n2 (2 of 2 in use); ' +
        'waiting for 1 core on n3 (2 of 2 in use); and 2 more nodes are full',
    );
  });
});

describe('schedule: --max-parallel', () => {
  it('counts the batch’s holding tasks and waits at the limit', () => {
    const batch = { batchId: 4, maxParallel: 3 };
    const outcome = pass(
      [node('n', resources(8))],
      [held(1, 'n', { batchId: 4 }), held(2, 'n', { batchId: 4 })],
      [10, 11, 12].map((id) => queued(id, batch)),
    );
    expect(outcome.placed).toEqual({ 10: 'n' });
    expect(outcome.reason(11)).toBe('batch 4 is at its --max-parallel 3');
  });
});

describe('schedule: placement policies', () => {
  // a: 2 of 8 free; b: 3 of 4 free; c: idle with 16.
  const nodes = [node('a', resources(8)), node('b', resources(4)), node('c', resources(16))];
  const holdings = [held(1, 'a', { cores: 6 }), held(2, 'b', { cores: 1 })];

  it.each([
    { placement: 'best-fit', roundRobinAfter: null, node: 'a' },
    { placement: 'least-loaded', roundRobinAfter: null, node: 'c' },
    { placement: 'round-robin', roundRobinAfter: null, node: 'a' },
    { placement: 'round-robin', roundRobinAfter: 'a', node: 'b' },
    { placement: 'round-robin', roundRobinAfter: 'c', node: 'a' },
  ] as const)('$placement after $roundRobinAfter places on $node', ({ placement, roundRobinAfter, node: name }) => {
    const outcome = pass(nodes, holdings, [queued(10, { cores: 2 })], { placement, roundRobinAfter });
    expect(outcome.placed).toEqual({ 10: name });
  });

  it('round-robin moves on with every placement and reports where it stopped', () => {
    const outcome = pass(nodes, holdings, [queued(10), queued(11), queued(12), queued(13)], {
      placement: 'round-robin',
    });
    expect(outcome.placed).toEqual({ 10: 'a', 11: 'b', 12: 'c', 13: 'a' });
    expect(outcome.result.roundRobinAfter).toBe('a');
  });
});

/** A seeded PRNG, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

function randomCluster(seed: number): { nodes: SchedulerNode[]; queue: QueuedTask[] } {
  const rand = random(seed);
  const nodes = Array.from({ length: 12 }, (_, index) =>
    node(
      `n${index}`,
      resources(index % 3 === 0 ? 8 : 4, {
        zoneMemory: 4e9,
        memoryBytes: 8e9,
        gpus: index % 4 === 0 ? [0, 1, 2, 3].map(gpu) : [],
      }),
      { drained: index === 11 },
    ),
  );
  const queue = Array.from({ length: 300 }, (_, index) => {
    const roll = rand();
    const target = roll < 0.2 ? `n${Math.floor(rand() * 12)}${rand() < 0.5 ? ':1' : ''}` : undefined;
    return queued(index + 1, {
      priority: Math.floor(rand() * 3),
      cores: [0, 0.5, 1, 2, 3][Math.floor(rand() * 5)] as number,
      memoryBytes: rand() < 0.3 ? 1e9 : null,
      gpuCount: roll > 0.9 ? 1 + Math.floor(rand() * 2) : 0,
      numaAuto: roll > 0.2 && roll < 0.35,
      queuedAt: Math.floor(rand() * 120_000),
      batchId: 1 + Math.floor(index / 20),
      maxParallel: index >= 200 && index < 220 ? 2 : null,
      ...(target === undefined ? {} : { target }),
    });
  });
  return { nodes, queue };
}

describe('schedule: invariants over random clusters', () => {
  it.each([1, 2, 3, 4, 5])('seed %i: never over-commits, and a second pass has nothing left to place', (seed) => {
    const { nodes, queue } = randomCluster(seed);
    const now = 100_000;
    const first = schedule(
      { nodes, holdings: [], queue, reservations: new Map(), roundRobinAfter: null, now },
      defaultPolicy,
    );
    const byId = new Map(queue.map((task) => [task.id, task]));
    const holdings = first.placements.map((placement) =>
      holdingAfter(byId.get(placement.taskId) as QueuedTask, placement),
    );
    expect(holdings.length).toBeGreaterThan(0);
    for (const each of nodes) {
      const mine = holdings.filter((holding) => holding.node === each.name);
      if (each.drained) expect(mine).toEqual([]);
      const sum = (list: Holding[], pick: (holding: Holding) => number): number =>
        list.reduce((total, holding) => total + pick(holding), 0);
      expect(sum(mine, (holding) => holding.cores)).toBeLessThanOrEqual(each.resources.cores + 1e-9);
      expect(sum(mine, (holding) => holding.memoryBytes ?? 0)).toBeLessThanOrEqual(each.resources.memoryBytes);
      for (const zone of each.resources.numa) {
        const inZone = mine.filter((holding) => holding.numa === zone.id);
        expect(sum(inZone, (holding) => holding.cores)).toBeLessThanOrEqual(zone.cpus.length + 1e-9);
        expect(sum(inZone, (holding) => holding.memoryBytes ?? 0)).toBeLessThanOrEqual(zone.memoryBytes ?? Infinity);
      }
      const gpus = mine.flatMap((holding) => holding.gpus);
      expect(new Set(gpus).size).toBe(gpus.length);
    }
    for (const placement of first.placements) {
      const task = byId.get(placement.taskId) as QueuedTask;
      expect(placement.gpus.length).toBe(task.target?.gpus.length || task.gpuCount);
      if (task.numaAuto) expect(placement.numa).not.toBeNull();
      if (task.target !== null) expect(placement.node).toBe(task.target.node);
    }
    const placed = new Set(first.placements.map((placement) => placement.taskId));
    const second = schedule(
      {
        nodes,
        holdings,
        queue: queue.filter((task) => !placed.has(task.id)),
        reservations: first.reservations,
        roundRobinAfter: first.roundRobinAfter,
        now,
      },
      defaultPolicy,
    );
    expect(second.placements).toEqual([]);
  });
});

describe('schedule: runs of one shape', () => {
  it.each(['best-fit', 'least-loaded'] as const)(
    '%s places a run of same-shape tasks as it would one task per pass',
    (placement) => {
      const { nodes } = randomCluster(7);
      const queue = Array.from({ length: 40 }, (_, index) =>
        queued(index + 1, { cores: 1.5, memoryBytes: 5e8, numaAuto: index < 20 }),
      );
      const together = schedule(
        { nodes, holdings: [], queue, reservations: new Map(), roundRobinAfter: null, now: 0 },
        { ...defaultPolicy, placement },
      ).placements;
      const holdings: Holding[] = [];
      const oneByOne = queue.flatMap((task) => {
        const [placed] = schedule(
          { nodes, holdings, queue: [task], reservations: new Map(), roundRobinAfter: null, now: 0 },
          { ...defaultPolicy, placement },
        ).placements;
        if (placed) holdings.push(holdingAfter(task, placed));
        return placed ? [placed] : [];
      });
      expect(together.length).toBeGreaterThan(10);
      expect(together).toEqual(oneByOne);
    },
  );
});
