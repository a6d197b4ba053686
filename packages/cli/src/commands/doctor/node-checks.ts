import { request } from 'node:http';
import { fail, ok, reasonOf, warn, type CheckResult } from './check.js';

/** Asks the Docker Engine at `socketPath` for its version (GET /version): proof it answers. */
export function dockerVersion(socketPath: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const call = request({ socketPath, path: '/version', method: 'GET', timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        if (response.statusCode !== 200) {
          reject(new Error(`the engine answered HTTP ${response.statusCode}`));
          return;
        }
        try {
          const parsed = JSON.parse(body) as { Version?: unknown };
          resolve(typeof parsed.Version === 'string' ? parsed.Version : 'unknown');
        } catch {
          reject(new Error('the engine answered, but not with JSON'));
        }
      });
    });
    call.on('timeout', () => call.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    call.on('error', reject);
    call.end();
  });
}

export async function checkDocker(socketPath: string, version = dockerVersion): Promise<CheckResult> {
  try {
    return ok('docker', `Docker Engine ${await version(socketPath)} answers at ${socketPath}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES')
      return fail(
        'docker',
        `no permission to use ${socketPath}`,
        'add the user that runs kawa to the docker group (sudo usermod -aG docker $USER, then log in again), or run the service as root',
      );
    if (code === 'ENOENT' || code === 'ECONNREFUSED')
      return fail(
        'docker',
        `no Docker Engine at ${socketPath} (${code})`,
        'install Docker (Debian/Ubuntu: apt-get install docker.io) and start it (systemctl enable --now docker), ' +
          'or set [runner] docker_socket; without Docker only --container NULL tasks run here',
      );
    return fail(
      'docker',
      `the Docker Engine at ${socketPath} failed: ${reasonOf(error)}`,
      'check dockerd: systemctl status docker',
    );
  }
}

/** The cgroup controllers no-Docker tasks use for --cores, --memory, NUMA pinning and pause. */
const wantedControllers = ['cpu', 'memory', 'cpuset', 'freezer'] as const;

/**
 * The cgroup set-up from /proc/self/mounts (and, on v2, the root's cgroup.controllers): which
 * version is mounted and which of the controllers Kawa uses are there.
 */
export function checkCgroups(mounts: string, v2Controllers: (mountPoint: string) => string | null): CheckResult {
  const entries = mounts
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields.length >= 4);
  const v2 = entries.find((fields) => fields[2] === 'cgroup2');
  const v1 = entries.filter((fields) => fields[2] === 'cgroup');
  let version: string;
  let present: Set<string>;
  if (v1.length > 0) {
    version = v2 ? 'v1 (hybrid, with a v2 mount)' : 'v1';
    present = new Set(v1.flatMap((fields) => (fields[3] ?? '').split(',')));
  } else if (v2) {
    version = 'v2';
    const text = v2Controllers(v2[1] ?? '/sys/fs/cgroup') ?? '';
    // v2 has no freezer controller: cgroup.freeze is built in.
    present = new Set([...text.trim().split(/\s+/), 'freezer']);
  } else {
    return warn(
      'cgroups',
      'no cgroup filesystem is mounted',
      'mount cgroup v2 at /sys/fs/cgroup (systemd does this at boot); until then no-Docker tasks run only with --cores 0 and no --memory',
    );
  }
  const missing = wantedControllers.filter((controller) => !present.has(controller));
  const found = wantedControllers.filter((controller) => present.has(controller));
  if (missing.length > 0)
    return warn(
      'cgroups',
      `cgroup ${version}; controllers ${found.join(', ') || 'none'} present, ${missing.join(', ')} missing`,
      version === 'v2'
        ? `enable them for Kawa's subtree (echo "+${missing.join(' +')}" > /sys/fs/cgroup/cgroup.subtree_control), or run the runner as a systemd service (kawa init service --runner sets Delegate=yes)`
        : `mount the missing v1 controllers (mount -t cgroup -o ${missing.join(',')} none /sys/fs/cgroup/<name>)`,
    );
  return ok('cgroups', `cgroup ${version} with ${found.join(', ')}`);
}

/** How a program on PATH answered, or null when it is not there. */
export type RunProgram = (file: string, args: readonly string[]) => Promise<{ code: number; stdout: string } | null>;

export async function checkNumactl(numactlPath: string, run: RunProgram): Promise<CheckResult> {
  const result = await run(numactlPath, ['--hardware']);
  if (result === null)
    return warn(
      'numactl',
      `${numactlPath} is not installed`,
      'install it (apt-get install numactl) to pin no-Docker tasks to a NUMA zone (-t node:ZONE); Docker tasks do not need it',
    );
  if (result.code !== 0)
    return warn(
      'numactl',
      `${numactlPath} --hardware exited with ${result.code}`,
      'check that the kernel exposes NUMA (/sys/devices/system/node)',
    );
  const zones = /available: (\d+) nodes?/.exec(result.stdout)?.[1] ?? '?';
  return ok('numactl', `${numactlPath} sees ${zones} NUMA zone(s)`);
}

export async function checkNvidiaSmi(run: RunProgram): Promise<CheckResult> {
  const result = await run('nvidia-smi', ['-L']);
  if (result === null)
    return warn(
      'nvidia-smi',
      'nvidia-smi is not on PATH: this node reports no GPUs',
      'nothing to do on a node without NVIDIA GPUs; on one with GPUs install the driver (nvidia-smi) and the NVIDIA Container Toolkit',
    );
  if (result.code !== 0)
    return fail(
      'nvidia-smi',
      `nvidia-smi -L exited with ${result.code}: the driver does not answer`,
      'check the NVIDIA driver (dmesg, nvidia-smi); reboot after a driver upgrade',
    );
  const gpus = result.stdout.split('\n').filter((line) => line.startsWith('GPU ')).length;
  return ok('nvidia-smi', `nvidia-smi lists ${gpus} GPU(s)`);
}
