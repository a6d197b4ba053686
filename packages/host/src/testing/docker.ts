import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { envContainerName, envImageTag } from '@kawa/protocol';

/** Built by scripts/test-images.sh (busybox-static, CMD /bin/sh); never pulled. */
export const TEST_IMAGE = 'kawa-test/busybox:latest';
export const DOCKER_SOCKET = '/var/run/docker.sock';

/** The test's own view of the Engine, to set up and check what the host did. */
export const docker = new Docker({ socketPath: DOCKER_SOCKET });

/** Names the env-name rule refuses: a slash, dots, a space, uppercase, and 65 characters. */
export const BAD_ENV_NAMES = ['a/b', '..', 'a..b', 'has space', 'Upper', 'x'.repeat(65)];

/** Env names are unique per test: other test files use the same dockerd at the same time. */
export function uniqueEnv(): string {
  return `t-${randomBytes(4).toString('hex')}`;
}

const ignoreMissing = (error: unknown): void => {
  if ((error as { statusCode?: unknown }).statusCode !== 404) throw error;
};

/** Removes what a test made for `env`: its host container and its image. */
export async function dropEnv(env: string): Promise<void> {
  await docker.getContainer(envContainerName(env)).remove({ force: true }).catch(ignoreMissing);
  await docker.getImage(envImageTag(env)).remove({ force: true }).catch(ignoreMissing);
}

/** Runs argv in a container (no TTY) and resolves with its exit code. */
export async function runIn(container: string, argv: string[]): Promise<number | null> {
  const exec = await docker.getContainer(container).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  stream.resume();
  await new Promise((resolve) => stream.once('end', resolve));
  for (let poll = 0; poll < 100; poll++) {
    const state = (await exec.inspect()) as { Running: boolean; ExitCode: number | null };
    if (!state.Running) return state.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${argv.join(' ')} still runs in ${container}`);
}
