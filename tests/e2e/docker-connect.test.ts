import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAWA_BIN, startCluster, type Cluster } from './support/cluster.js';
import { TEST_IMAGE } from './support/docker.js';
import { submit, waitForStatus } from './support/tasks.js';
import { startTmux, type Tmux } from './support/tmux.js';

/**
 * `kawa connect` into a running Docker task as a user does it, from a real terminal (tmux):
 * a TTY through docker exec on the task's node, relayed by the host.
 */
describe('kawa connect', () => {
  let cluster: Cluster;
  let tmux: Tmux | null = null;
  let id: number;

  beforeAll(async () => {
    cluster = await startCluster();
    const { taskIds } = await submit(cluster, ['--image', TEST_IMAGE, '--', 'sleep', '300']);
    id = taskIds[0] as number;
    await waitForStatus(cluster, id, ['running'], 60_000);
  });
  afterAll(async () => {
    await tmux?.close();
    await cluster.kawa(['task', 'kill', String(id)]).catch(() => undefined);
    await cluster.stop();
  });

  it('opens a shell in the task that runs commands and shows their output; exit returns', async () => {
    tmux = await startTmux({
      env: { HOME: cluster.home, PATH: process.env.PATH ?? '/usr/bin:/bin', KAWA_OUTER: 'outer-shell', PS1: 'outer$ ' },
      command: ['bash', '--norc', '--noprofile'],
    });
    await tmux.waitFor(/outer\$ $/m);
    await tmux.type(`${process.execPath} ${KAWA_BIN} connect ${id}`);
    await tmux.waitFor(/# $/m);
    // The task's own process, and no KAWA_OUTER: this runs in the task's container.
    await tmux.type('echo "inside-$((40+2))-$KAWA_OUTER-$KAWA_TASK_ID"; cat /proc/1/cmdline | tr "\\0" " "; echo');
    await tmux.waitFor(new RegExp(`^inside-42--${id}$`, 'm'));
    await tmux.waitFor(/^sleep 300 $/m);
    await tmux.type('exit');
    await tmux.waitFor(/# exit\s*\n(outer\$ *\n)*outer\$ *$/m);
    await tmux.type('echo "back-in-$KAWA_OUTER"');
    await tmux.waitFor(/^back-in-outer-shell$/m);
  });

  it('runs a command given after -- and exits with its exit code', async () => {
    const run = await cluster.kawa(['connect', String(id), '--', 'sh', '-c', 'echo made-$((6*7)); exit 3']);
    expect(run.stdout).toMatch(/^made-42\r?\n$/);
    expect(run.code).toBe(3);
  });

  it('refuses a task that is not running, with a coded error', async () => {
    const { taskIds } = await submit(cluster, ['--image', TEST_IMAGE, '--', 'true']);
    const done = taskIds[0] as number;
    await waitForStatus(cluster, done, ['completed'], 60_000);
    const run = await cluster.kawa(['connect', String(done)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is completed, not running.*\(KAWA_ERR_INVALID_STATE\)\n$/);
  });
});
