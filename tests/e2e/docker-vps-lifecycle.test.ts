import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { eventually, sleep, type Cluster } from './support/cluster.js';
import { collectOutput, exitOf } from './support/process.js';
import { waitForStatus } from './support/tasks.js';
import {
  BATCH,
  VPS_IMAGE,
  createVps,
  kawaSsh,
  startVpsFixture,
  vpsContainer,
  type KeyPair,
  type VpsFixture,
} from './support/vps.js';

const ticks = (text: string): number => text.match(/^tick$/gm)?.length ?? 0;

/** Pause, resume, stop and restart a VPS while a user is logged in to it. */
describe('VPS lifecycle', () => {
  let fixture: VpsFixture;
  let cluster: Cluster;
  let key: KeyPair;
  let vps: Task;

  beforeAll(async () => {
    fixture = await startVpsFixture();
    ({ cluster, key } = fixture);
    vps = await createVps(cluster, ['--image', VPS_IMAGE, '--public-key-file', `${key.privateKey}.pub`]);
  });
  afterAll(() => fixture.stop());

  it('pause freezes an open session and refuses new ones; resume brings both back', async () => {
    // A session that prints a line five times a second, for as long as the VPS runs.
    const session = cluster.spawnKawa([
      'ssh',
      String(vps.id),
      '-i',
      key.privateKey,
      ...BATCH,
      'for i in $(seq 1 600); do echo tick; sleep 0.2; done',
    ]);
    const output = collectOutput(session);
    try {
      await eventually(() => Promise.resolve(ticks(output.stdout()) >= 3), 30_000, 'the session to tick');
      const paused = await cluster.kawa(['vps', 'pause', String(vps.id)]);
      expect(paused).toMatchObject({ code: 0, stdout: `VPS ${vps.id}: paused\n` });
      const atPause = ticks(output.stdout());
      await sleep(2_000);
      // At most a line that was on its way when the freeze came; then nothing.
      expect(ticks(output.stdout()) - atPause).toBeLessThanOrEqual(1);
      const refused = await kawaSsh(cluster, vps.id, key, 'true');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/is paused: resume it first with kawa vps resume \d+ \(KAWA_ERR_INVALID_STATE\)/);

      const resumed = await cluster.kawa(['vps', 'resume', String(vps.id)]);
      expect(resumed).toMatchObject({ code: 0, stdout: `VPS ${vps.id}: running\n` });
      const atResume = ticks(output.stdout());
      await eventually(
        () => Promise.resolve(ticks(output.stdout()) >= atResume + 3),
        30_000,
        'the session to tick again',
      );
      const fresh = await kawaSsh(cluster, vps.id, key, 'echo again');
      expect(fresh).toMatchObject({ code: 0, stdout: 'again\n' });
    } finally {
      session.kill('SIGTERM');
      await exitOf(session, 10_000, 'the ticking session').catch(() => undefined);
    }
  });

  it('stop removes the container and leaves the VPS stopped; ssh says how to restart', async () => {
    const stopped = await cluster.kawa(['vps', 'stop', String(vps.id)], { timeoutMs: 60_000 });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(new RegExp(`^VPS ${vps.id}: (stopped|running)\\n$`));
    await waitForStatus(cluster, vps.id, ['stopped']);
    await eventually(
      () =>
        vpsContainer(vps.id)
          .inspect()
          .then(
            () => false,
            (error: { statusCode?: number }) => error.statusCode === 404,
          ),
      20_000,
      `kawa-vps-${vps.id} to be removed`,
    );
    const status = await cluster.kawa(['vps', 'status', String(vps.id), '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: vps.id, status: 'stopped' });
    const listed = await cluster.kawa(['vps', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^\\s*${vps.id}\\s+stopped\\s`, 'm'));
    const refused = await kawaSsh(cluster, vps.id, key, 'true');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is stopped: start it again with kawa vps restart \d+ \(KAWA_ERR_INVALID_STATE\)/);
  });

  it('restart recreates it; ssh gets in with the same key and the host key it already knows', async () => {
    const restarted = await cluster.kawa(['vps', 'restart', String(vps.id)], { timeoutMs: 60_000 });
    expect(restarted.code).toBe(0);
    await waitForStatus(cluster, vps.id, ['running'], 60_000);
    // StrictHostKeyChecking accept-new refuses a changed host key: this also checks it is the same.
    const back = await kawaSsh(cluster, vps.id, key, 'echo back; grep -c . /root/.ssh/authorized_keys');
    expect(back.stderr).not.toMatch(/IDENTIFICATION HAS CHANGED/);
    expect(back).toMatchObject({ code: 0, stdout: 'back\n1\n' });
    const info = await vpsContainer(vps.id).inspect();
    expect(info.State.Running).toBe(true);
  });
});
