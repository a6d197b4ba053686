import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { envImageTag } from '@kawa/protocol';
import { eventually, type Cluster } from './cluster.js';

/** Built by scripts/test-images.sh (busybox-static via docker import); never pulled. */
export const TEST_IMAGE = 'kawa-test/busybox:latest';

/** The same Docker Engine the cluster's host and runner use. */
export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Env names are unique per test: e2e files share one dockerd and one image store. */
export function uniqueEnv(prefix: string): string {
  return `e2e-${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Removes the env's local image so the next task must load it from its tarball (a cold node). */
export async function forgetEnvImage(env: string): Promise<void> {
  await docker
    .getImage(envImageTag(env))
    .remove({ force: true })
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
}

/** Creates the env's host container from the test image and packs its first tarball. */
export async function makeEnv(cluster: Cluster, env: string): Promise<void> {
  const created = await cluster.kawa(['docker', 'container', 'create', TEST_IMAGE, env]);
  if (created.code !== 0) throw new Error(`container create failed: ${created.stderr}`);
  const packed = await cluster.kawa(['docker', 'tar', 'create', env], { timeoutMs: 120_000 });
  if (packed.code !== 0) throw new Error(`tar create failed: ${packed.stderr}`);
}

/** Deletes what makeEnv made: host container, tarballs and the local image. Best effort. */
export async function dropEnv(cluster: Cluster, env: string): Promise<void> {
  await cluster.kawa(['docker', 'container', 'delete', env]).catch(() => undefined);
  await cluster.kawa(['docker', 'tar', 'delete', env]).catch(() => undefined);
  await forgetEnvImage(env).catch(() => undefined);
}

/** Counts the runner's `loading env <name> from …` lines: one per docker load it ran. */
export function loadsOf(cluster: Cluster, env: string): number {
  const pattern = new RegExp(`loading env ${env.replace(/[.]/g, '\\.')} from `, 'g');
  return cluster.daemonLog().match(pattern)?.length ?? 0;
}

/** Inspects a task's container while it exists. */
export function taskContainer(id: number): Docker.Container {
  return docker.getContainer(`kawa-task-${id}`);
}

/** Waits until a task's container is gone: the runner removes it just after the final report. */
export async function waitForContainerGone(id: number): Promise<void> {
  await eventually(
    async () =>
      (await taskContainer(id)
        .inspect()
        .then(
          () => false,
          () => true,
        )) || null,
    10_000,
    `container kawa-task-${id} to be removed`,
  );
}
