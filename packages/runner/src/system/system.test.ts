import { readFile, rm, writeFile, mkdtemp, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeResourcesSchema, NodeUsageSchema } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { cpuPercentBetween, parseProcStat } from './cpu.js';
import { parseMeminfo, readMemory } from './memory.js';
import { parseCpuList, readNumaZones } from './numa.js';
import { createSystemProbe } from './system-probe.js';
import { readTemperatures } from './temperatures.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const twoSocket = { procRoot: join(fixtures, 'two-socket/proc'), sysRoot: join(fixtures, 'two-socket/sys') };
const bare = { procRoot: join(fixtures, 'bare/proc'), sysRoot: join(fixtures, 'bare/sys') };
const recordedSmi = (): Promise<string> => readFile(join(fixtures, 'nvidia-smi-4gpu.csv'), 'utf8');
const MIB = 1024 * 1024;

describe('cpu', () => {
  it('parses the aggregate line of /proc/stat', () => {
    expect(parseProcStat('cpu  1000 50 300 8000 200 10 20 0 0 0\ncpu0 1 2 3 4\n')).toEqual({ busy: 1380, total: 9580 });
    expect(parseProcStat('intr 1 2 3')).toBeNull();
  });

  it('computes the busy share between two samples', () => {
    expect(cpuPercentBetween({ busy: 100, total: 1000 }, { busy: 150, total: 1100 })).toBe(50);
    expect(cpuPercentBetween({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBe(0);
  });
});

describe('memory', () => {
  it('parses meminfo in bytes, also the per-node form', () => {
    const fields = parseMeminfo('MemTotal:  100 kB\nHugePages_Total:  3\nNode 1 MemFree:  7 kB\n');
    expect(fields.get('MemTotal')).toBe(102_400);
    expect(fields.get('HugePages_Total')).toBe(3);
    expect(fields.get('MemFree')).toBe(7 * 1024);
  });

  it('reports used as MemTotal - MemAvailable, falling back to MemFree', async () => {
    expect(await readMemory(twoSocket.procRoot)).toEqual({
      totalBytes: 65_536_000 * 1024,
      usedBytes: 16_384_000 * 1024,
    });
    expect(await readMemory(bare.procRoot)).toEqual({ totalBytes: 2_048_000 * 1024, usedBytes: 1_024_000 * 1024 });
    expect(await readMemory('/nonexistent')).toBeNull();
  });
});

describe('numa', () => {
  it('parses cpu lists', () => {
    expect(parseCpuList('0-3,8-11\n')).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
    expect(parseCpuList('5')).toEqual([5]);
    expect(parseCpuList('')).toEqual([]);
  });

  it('reads zones from /sys/devices/system/node', async () => {
    const zones = await readNumaZones(twoSocket.sysRoot, { cores: 16, memoryBytes: 1 });
    expect(zones).toEqual([
      { id: 0, cpus: [0, 1, 2, 3, 8, 9, 10, 11], memoryBytes: 32_768_000 * 1024 },
      { id: 1, cpus: [4, 5, 6, 7, 12, 13, 14, 15], memoryBytes: 32_768_000 * 1024 },
    ]);
  });

  it('falls back to one zone with every cpu', async () => {
    expect(await readNumaZones(bare.sysRoot, { cores: 3, memoryBytes: 42 })).toEqual([
      { id: 0, cpus: [0, 1, 2], memoryBytes: 42 },
    ]);
  });
});

describe('temperatures', () => {
  it('reads hwmon and thermal zones in milli-degrees', async () => {
    expect(await readTemperatures(twoSocket.sysRoot)).toEqual([
      { sensor: 'coretemp/Package id 0', celsius: 45 },
      { sensor: 'coretemp/temp2', celsius: 43.5 },
      { sensor: 'nvme/Composite', celsius: 38.85 },
      { sensor: 'thermal/x86_pkg_temp', celsius: 41 },
      { sensor: 'thermal/acpitz', celsius: 27.8 },
    ]);
  });

  it('gives an empty list without sensors', async () => {
    expect(await readTemperatures(bare.sysRoot)).toEqual([]);
  });
});

describe('system probe', () => {
  let scratch: string | null = null;
  afterEach(async () => {
    if (scratch !== null) await rm(scratch, { recursive: true, force: true });
    scratch = null;
  });

  it('builds resources and usage that satisfy the protocol', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'kawa-probe-'));
    await cp(join(fixtures, 'two-socket'), scratch, { recursive: true });
    const roots = { procRoot: join(scratch, 'proc'), sysRoot: join(scratch, 'sys') };
    const smi = await recordedSmi();
    const probe = await createSystemProbe({
      roots,
      hostname: 'gpu-box',
      nvidiaSmiPath: '/usr/bin/nvidia-smi',
      run: () => Promise.resolve(smi),
      logger: createLogger('silent'),
      cores: () => 16,
    });
    const resources = NodeResourcesSchema.parse(await probe.resources());
    expect(resources).toMatchObject({ hostname: 'gpu-box', cores: 16, memoryBytes: 65_536_000 * 1024 });
    expect(resources.numa.map((zone) => zone.id)).toEqual([0, 1]);
    expect(resources.gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3]);

    // 400 more ticks, 100 of them busy: 25 %.
    await writeFile(join(roots.procRoot, 'stat'), 'cpu  1050 50 350 8300 200 10 20 0 0 0\n');
    const usage = NodeUsageSchema.parse(await probe.usage());
    expect(usage.cpuPercent).toBe(25);
    expect(usage.memoryUsedBytes).toBe(16_384_000 * 1024);
    expect(usage.temperatures).toHaveLength(5);
    expect(usage.gpus[2]).toEqual({
      index: 2,
      memoryUsedBytes: 23_001 * MIB,
      utilizationPercent: 100,
      temperatureCelsius: 79,
    });
  });

  it('works on the real machine', async () => {
    const probe = await createSystemProbe({
      roots: { procRoot: '/proc', sysRoot: '/sys' },
      hostname: 'here',
      nvidiaSmiPath: null,
      run: () => Promise.reject(new Error('unused')),
      logger: createLogger('silent'),
    });
    const resources = NodeResourcesSchema.parse(await probe.resources());
    expect(resources.numa.length).toBeGreaterThan(0);
    expect(resources.memoryBytes).toBeGreaterThan(0);
    NodeUsageSchema.parse(await probe.usage());
  });
});
