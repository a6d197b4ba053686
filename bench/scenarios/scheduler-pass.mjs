// Scenario 5: one scheduling pass of the host's pure scheduler function, in-process, over 1,000
// simulated nodes and 100,000 queued tasks. No host, no I/O: this measures the placement logic
// itself. Run after `npm run build` (it imports packages/host/dist).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmt, root, summary } from '../lib/kawa.mjs';

const GIB = 2 ** 30;
const WARM_UP_PASSES = 5;

/** A small seeded PRNG (mulberry32), so every run schedules the same cluster and queue. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rand, values) => values[Math.floor(rand() * values.length)];

/** Node shapes: [share, cores, memory GiB, GPUs]. Every node has two NUMA zones. */
const NODE_SHAPES = [
  [0.4, 32, 128, 0],
  [0.3, 64, 256, 0],
  [0.2, 128, 512, 0],
  [0.1, 64, 512, 8],
];

function makeNodes(count, rand) {
  const nodes = [];
  for (let index = 0; index < count; index += 1) {
    let roll = rand();
    const [, cores, memory, gpus] = NODE_SHAPES.find(([share]) => (roll -= share) < 0) ?? NODE_SHAPES[0];
    const half = cores / 2;
    const name = `node${String(index).padStart(4, '0')}`;
    nodes.push({
      name,
      status: 'online',
      connected: true,
      drained: index % 200 === 199,
      resources: {
        hostname: name,
        cores,
        memoryBytes: memory * GIB,
        numa: [0, 1].map((id) => ({
          id,
          cpus: Array.from({ length: half }, (_, cpu) => id * half + cpu),
          memoryBytes: (memory / 2) * GIB,
        })),
        // Two models, as on the mixed machines the GPU fixtures describe.
        gpus: Array.from({ length: gpus }, (_, gpu) => ({
          index: gpu,
          name: gpu < 4 ? 'NVIDIA A100-SXM4-80GB' : 'NVIDIA GeForce RTX 4090',
          uuid: `GPU-${name}-${gpu}`,
          memoryTotalBytes: (gpu < 4 ? 80 : 24) * GIB,
        })),
      },
    });
  }
  return nodes;
}

/** About half of every node's cores (and half the GPUs of GPU nodes) are held by running tasks. */
function makeHoldings(nodes, rand) {
  const holdings = [];
  let taskId = 1;
  for (const node of nodes) {
    const perZone = node.resources.cores / 4;
    for (const zone of [0, 1]) {
      for (let held = 0; held < perZone; held += 4) {
        holdings.push({
          taskId: taskId++,
          batchId: 1,
          node: node.name,
          cores: 4,
          memoryBytes: 8 * GIB,
          numa: zone,
          gpus: [],
        });
      }
    }
    for (let gpu = 0; gpu < node.resources.gpus.length; gpu += 2) {
      if (rand() < 0.5) continue;
      holdings.push({
        taskId: taskId++,
        batchId: 2,
        node: node.name,
        cores: 2,
        memoryBytes: null,
        numa: null,
        gpus: [gpu],
      });
    }
  }
  return { holdings, nextId: taskId };
}

/**
 * The queue: batches as submits make them, one spec per batch (priority, cores, memory, GPUs,
 * NUMA auto, --max-parallel) with one task per target or per sweep combination.
 */
function makeQueue(count, nodes, firstId, now, rand) {
  const gpuNodes = nodes.filter((node) => node.resources.gpus.length > 0);
  const queue = [];
  let batchId = 100;
  while (queue.length < count) {
    batchId += 1;
    const size = Math.min(count - queue.length, pick(rand, [1, 1, 1, 2, 4, 8, 12, 50, 200]));
    const roll = rand();
    const spec = {
      batchId,
      priority: roll < 0.8 ? 0 : roll < 0.95 ? 10 : roll < 0.98 ? -5 : 100,
      cores: pick(rand, [1, 1, 2, 2, 4, 8, 16]),
      memoryBytes: pick(rand, [null, null, 2 * GIB, 8 * GIB, 32 * GIB]),
      gpuCount: 0,
      numaAuto: false,
      maxParallel: null,
    };
    const kind = rand();
    let target = () => null;
    if (kind < 0.05) spec.gpuCount = pick(rand, [1, 1, 2, 4]);
    else if (kind < 0.1)
      target = () => ({ node: pick(rand, gpuNodes).name, numa: null, gpus: [Math.floor(rand() * 8)] });
    else if (kind < 0.2) {
      const numa = rand() < 0.5 ? Math.floor(rand() * 2) : null;
      target = () => ({ node: pick(rand, nodes).name, numa, gpus: [] });
    } else if (kind < 0.25) spec.numaAuto = true;
    if (rand() < 0.05) spec.maxParallel = 3;
    for (let index = 0; index < size; index += 1) {
      const id = firstId + queue.length;
      // Submitted over the last 10 minutes, oldest first: the oldest have waited past the bound.
      queue.push({ ...spec, id, queuedAt: now - (count - queue.length) * 6, target: target() });
    }
  }
  return queue;
}

/** The state after a pass's placements are applied: the next pass sees them as holdings. */
export function applyPlacements(input, result, holdingAfter) {
  const byId = new Map(input.queue.map((task) => [task.id, task]));
  const placed = new Set();
  const holdings = [...input.holdings];
  for (const placement of result.placements) {
    placed.add(placement.taskId);
    holdings.push(holdingAfter(byId.get(placement.taskId), placement));
  }
  return {
    ...input,
    holdings,
    queue: input.queue.filter((task) => !placed.has(task.id)),
    reservations: result.reservations,
    roundRobinAfter: result.roundRobinAfter,
  };
}

/** The scheduler's input for a simulated cluster and queue, the same on every run. */
export function simulatedCluster(nodeCount, taskCount, shapeKey) {
  const rand = random(42);
  const now = 1_800_000_000_000;
  const nodes = makeNodes(nodeCount, rand);
  const { holdings, nextId } = makeHoldings(nodes, rand);
  const queue = makeQueue(taskCount, nodes, nextId, now, rand)
    .map((task) => ({ ...task, shape: shapeKey(task) }))
    .sort((a, b) => b.priority - a.priority || a.id - b.id);
  return { nodes, holdings, queue, reservations: new Map(), roundRobinAfter: null, now };
}

function timePasses(schedule, input, policy, passes) {
  // A host runs passes all the time, so its scheduler code is optimised by the JIT: warm it up.
  for (let warm = 0; warm < WARM_UP_PASSES; warm += 1) schedule(input, policy);
  const times = [];
  let result;
  for (let pass = 0; pass < passes; pass += 1) {
    const t0 = performance.now();
    result = schedule(input, policy);
    times.push(performance.now() - t0);
  }
  const stats = summary(times);
  return {
    ms: { median: stats.p50, max: Math.max(...times) },
    placements: result.placements.length,
    waitingShapes: result.waiting.size,
    reservations: result.reservations.size,
    placementsPerSecond: result.placements.length / (stats.p50 / 1000),
    result,
  };
}

export async function schedulerPass({ rounds = 3 } = {}) {
  const { schedule, holdingAfter } = await import(
    pathToFileURL(join(root, 'packages/host/dist/scheduler/schedule.js')).href
  );
  const { shapeKey } = await import(pathToFileURL(join(root, 'packages/host/dist/scheduler/shape.js')).href);
  const nodeCount = Number(process.env.BENCH_SCHED_NODES ?? 1000);
  const taskCount = Number(process.env.BENCH_SCHED_TASKS ?? 100_000);
  const passes = Math.max(10, rounds * 5);
  const first = simulatedCluster(nodeCount, taskCount, shapeKey);
  const { holdings } = first;

  const rows = [];
  const json = { nodes: nodeCount, queued: taskCount, heldAtStart: holdings.length, passes, policies: {} };
  for (const placement of ['best-fit', 'least-loaded', 'round-robin']) {
    const policy = { placement, reserveAfterMs: 60_000 };
    const fresh = timePasses(schedule, first, policy, passes);
    const steady = timePasses(schedule, applyPlacements(first, fresh.result, holdingAfter), policy, passes);
    delete fresh.result;
    delete steady.result;
    json.policies[placement] = { fresh, steady };
    rows.push(
      `| ${placement} | first pass (places what fits) | ${fmt(fresh.ms.median, 1)} | ${fmt(fresh.ms.max, 1)} | ${fresh.placements} | ${fmt(fresh.placementsPerSecond, 0)} | ${fresh.reservations} |`,
      `| ${placement} | next pass (nothing frees up) | ${fmt(steady.ms.median, 1)} | ${fmt(steady.ms.max, 1)} | ${steady.placements} | – | ${steady.reservations} |`,
    );
  }
  const markdown = [
    `Scheduler pass: ${nodeCount} simulated nodes, ${taskCount} queued tasks, the pure function in-process`,
    '',
    '| policy | pass | median (ms) | max (ms) | placements | placements/s | reservations |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Targets: ≤ 100 ms per pass, ≥ 10,000 placements/s. Nodes: 40% 32 cores, 30% 64, 20% 128, 10% 64 cores with 8 GPUs (two models); two NUMA zones each; 5 drained.`,
    `About half of every node is held by ${holdings.length} placed tasks. The queue is made of batches of 1–200 tasks, each with its own priority (80% 0, 15% 10, 3% -5, 2% 100), 1–16 cores and memory; 5% ask for GPUs by count, 5% target GPU ids, 10% target nodes (half of them a zone), 5% use NUMA auto, and 5% of batches have --max-parallel 3. The oldest tasks have waited past the 60 s backfill bound.`,
    `Median and max of ${passes} passes after ${WARM_UP_PASSES} warm-up passes, each over the same input. "Next pass" runs on the state after the first pass's placements, as the host's next pass would.`,
  ];
  const policies = Object.values(json.policies);
  const slowest = Math.max(...policies.flatMap(({ fresh, steady }) => [fresh.ms.median, steady.ms.median]));
  const fewest = Math.min(...policies.map(({ fresh }) => fresh.placementsPerSecond));
  return {
    name: 'scheduler-pass',
    json,
    markdown,
    targets: [
      {
        scenario: '5a',
        what: 'a full pass ≤ 100 ms (pure function, slowest policy, median)',
        figure: `${fmt(slowest, 1)} ms`,
        met: slowest <= 100,
      },
      {
        scenario: '5a',
        what: '≥ 10k placements/s (pure function, slowest policy)',
        figure: `${fmt(fewest, 0)}/s`,
        met: fewest >= 10_000,
      },
    ],
  };
}
