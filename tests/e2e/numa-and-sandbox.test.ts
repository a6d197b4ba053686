import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from './support/cluster.js';
import { submit, waitForStatus } from './support/tasks.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

async function runAndRead(args: string[]): Promise<string> {
  const { taskIds } = await submit(cluster, ['--container', 'NULL', ...args]);
  const task = await waitForStatus(cluster, taskIds[0]!, ['completed', 'failed', 'oom', 'killed']);
  expect(task.status, task.reason ?? '').toBe('completed');
  return (await cluster.kawa(['task', 'logs', String(task.id)])).stdout;
}

describe('NUMA targets and sandboxing of no-Docker tasks', () => {
  it('binds a node:0 target to NUMA zone 0 through numactl', async () => {
    const out = await runAndRead([
      '-t',
      `${cluster.node}:0`,
      '--',
      'sh',
      '-c',
      'echo "zone=$KAWA_NUMA_NODE"; grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status',
    ]);
    const zoneCpus = readFileSync('/sys/devices/system/node/node0/cpulist', 'utf8').trim();
    expect(out).toContain('zone=0\n');
    expect(out).toMatch(new RegExp(`^Cpus_allowed_list:\\s+${zoneCpus}$`, 'm'));
    expect(out).toMatch(/^Mems_allowed_list:\s+0$/m);
  });

  it('refuses a NUMA zone the node does not have', async () => {
    const run = await cluster.kawa(['task', 'submit', '--container', 'NULL', '-t', `${cluster.node}:63`, '--', 'true']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/KAWA_ERR_UNSATISFIABLE/);
  });

  it('gives --private-network tasks only a loopback interface', async () => {
    const interfaces = (await runAndRead(['--private-network', '--', 'cat', '/proc/net/dev']))
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0]!.trim())
      .filter(Boolean);
    expect(interfaces).toEqual(['lo']);
  });

  it('gives --private-pid tasks their own PID namespace', async () => {
    const out = await runAndRead(['--private-pid', '--', 'sh', '-c', 'echo $$; ls /proc | grep -c "^[0-9]"']);
    const [pid, processCount] = out.trim().split('\n').map(Number);
    expect(pid).toBe(1);
    // The shell and the ls it forked; the host's processes are invisible.
    expect(processCount).toBeLessThanOrEqual(3);
  });
});
