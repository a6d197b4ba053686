import { randomBytes, randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Docker from 'dockerode';
import {
  envImageTag,
  tarballFileName,
  tarballMetaFileName,
  type NumaZone,
  type TaskEventFrame,
  type TaskProgressFrame,
} from '@kawa/protocol';
import { envRecordsIn } from '../envs/env-records.js';
import { createEnvSync, type EnvSync } from '../envs/env-sync.js';
import { envTarballDir } from '../envs/tarballs.js';
import { createDockerEngine, type DockerEngine } from '../executors/docker/docker-engine.js';
import { createDockerExecutor, type DockerExecutor } from '../executors/docker/docker-executor.js';
import { createLogger } from '../logger.js';
import { openTaskTable } from '../state/task-table.js';
import { waitForTaskEvent } from './task-events.js';

/** Built by scripts/test-images.sh (busybox-static, PATH=/bin); never pulled. */
export const TEST_IMAGE = 'kawa-test/busybox:latest';
export const DOCKER_SOCKET = '/var/run/docker.sock';

/** The same engine the code under test uses, for a test's own set-up and checks. */
export const testDocker = new Docker({ socketPath: DOCKER_SOCKET });

/** Whether a Docker Engine with the test image answers here; Docker tests skip without one. */
export async function dockerReady(): Promise<boolean> {
  try {
    await testDocker.getImage(TEST_IMAGE).inspect();
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the named container is gone, polled for up to 5 s: a container goes right after its
 * task's final event (the report does not wait for the removal).
 */
export async function containerGone(name: string): Promise<boolean> {
  const gone = (): Promise<boolean> =>
    testDocker
      .getContainer(name)
      .inspect()
      .then(
        () => false,
        (error: { statusCode?: number }) => error.statusCode === 404,
      );
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await gone()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Task ids high and random enough that test files running against the same dockerd in
 * parallel never pick the same `kawa-task-<id>` container name.
 */
export function uniqueTaskId(): number {
  return 1_000_000_000 + randomInt(1_000_000_000);
}

export function uniqueEnv(prefix: string): string {
  return `unit-${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Packs the test image as env `env`'s tarball `<version>.tar` (the way tar create does: tag it
 * `kawa/<env>:base`, save), then drops the tag, so the node is cold for that env. With `meta`,
 * also writes `<version>.json` with the image id.
 */
export async function makeEnvTarball(
  sharedDir: string,
  env: string,
  version: number,
  options: { meta?: boolean } = {},
): Promise<{ path: string; imageId: string }> {
  const tag = envImageTag(env);
  const [repo = '', base = ''] = tag.split(':');
  await testDocker.getImage(TEST_IMAGE).tag({ repo, tag: base });
  const dir = envTarballDir(sharedDir, env);
  await mkdir(dir, { recursive: true });
  const path = join(dir, tarballFileName(version));
  await pipeline(await testDocker.getImage(tag).get(), createWriteStream(path));
  const { Id: imageId, Size } = await testDocker.getImage(tag).inspect();
  if (options.meta === true)
    await writeFile(
      join(dir, tarballMetaFileName(version)),
      JSON.stringify({ imageId, bytes: Size, createdAt: version }),
    );
  await forgetEnvImage(env);
  return { path, imageId };
}

/** Removes the env's tag (only the tag: the test image keeps its own). */
export async function forgetEnvImage(env: string): Promise<void> {
  await testDocker
    .getImage(envImageTag(env))
    .remove({ noprune: true })
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
}

/** A real engine whose load can be held at a gate, and which counts loads. */
export interface GatedEngine extends DockerEngine {
  loads: number;
  /** Holds every later load until `release` is called. */
  hold(): { release: () => void };
}

export function gatedEngine(engine: DockerEngine = createDockerEngine(DOCKER_SOCKET)): GatedEngine {
  let gate: Promise<void> = Promise.resolve();
  const wrapped: GatedEngine = {
    ...engine,
    loads: 0,
    async loadImage(tarball, size) {
      wrapped.loads += 1;
      await gate;
      return engine.loadImage(tarball, size);
    },
    hold() {
      let release = (): void => {};
      gate = new Promise((resolve) => (release = resolve));
      return { release };
    },
  };
  return wrapped;
}

export interface DockerHarness {
  executor: DockerExecutor;
  envSync: EnvSync;
  engine: GatedEngine;
  events: TaskEventFrame[];
  progress: TaskProgressFrame[];
  /** Every line the runner logged (at debug). */
  logs: string[];
  nodeName: string;
  root: string;
  sharedDir: string;
  stateDir: string;
  localTempDir: string;
  event(taskId: number, statuses: TaskEventFrame['status'][], timeoutMs?: number): Promise<TaskEventFrame>;
  close(): Promise<void>;
}

/** A real Docker executor on the real engine, with its dirs in a temp dir and a unique node name. */
export async function startDockerHarness(
  options: {
    engine?: DockerEngine;
    numaZones?: NumaZone[];
    /** The node and dirs of an earlier harness: a restarted runner of that node. */
    restartOf?: DockerHarness;
  } = {},
): Promise<DockerHarness> {
  const root = options.restartOf?.root ?? (await mkdtemp(join(tmpdir(), 'kawa-docker-')));
  const sharedDir = join(root, 'shared');
  const stateDir = join(root, 'state');
  const localTempDir = join(root, 'local-temp');
  await mkdir(join(sharedDir, 'data'), { recursive: true });
  const nodeName = options.restartOf?.nodeName ?? `unit-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logs: string[] = [];
  const logger = createLogger('debug', (line) => logs.push(line));
  const engine = gatedEngine(options.engine);
  const envSync = createEnvSync({ engine, sharedDir, records: envRecordsIn(stateDir), logger });
  const events: TaskEventFrame[] = [];
  const progress: TaskProgressFrame[] = [];
  const executor = createDockerExecutor({
    nodeName,
    sharedDir,
    localTempDir,
    numaZones: options.numaZones ?? [{ id: 0, cpus: [0], memoryBytes: null }],
    engine,
    envSync,
    table: await openTaskTable(stateDir),
    logger,
    onEvent: (event) => events.push(event),
    onProgress: (frame) => progress.push(frame),
  });
  return {
    executor,
    envSync,
    engine,
    events,
    progress,
    logs,
    nodeName,
    root,
    sharedDir,
    stateDir,
    localTempDir,
    event: (taskId, statuses, timeoutMs = 15_000) => waitForTaskEvent(events, taskId, statuses, timeoutMs),
    async close() {
      await executor.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
