import { existsSync, readFileSync } from 'node:fs';

/**
 * CPU time a task's cgroup has used, in seconds, read the way the runner lays cgroups out:
 * v1 `<cpuacct>/kawa/<node>/task-<id>/cpuacct.usage` (ns), v2 `<root>/kawa/<node>/task-<id>/cpu.stat`.
 */
export function taskCpuSeconds(node: string, taskId: number): number {
  const v1 = `/sys/fs/cgroup/cpuacct/kawa/${node}/task-${taskId}/cpuacct.usage`;
  if (existsSync(v1)) return Number(readFileSync(v1, 'utf8').trim()) / 1e9;
  const v2 = `/sys/fs/cgroup/kawa/${node}/task-${taskId}/cpu.stat`;
  if (existsSync(v2)) {
    const match = /^usage_usec (\d+)$/m.exec(readFileSync(v2, 'utf8'));
    if (match) return Number(match[1]) / 1e6;
  }
  throw new Error(`no cgroup CPU accounting found for task ${taskId} on ${node} (looked at ${v1} and ${v2})`);
}
