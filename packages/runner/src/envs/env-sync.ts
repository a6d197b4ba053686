import { envImageTag, envNameProblem, IMAGE_REF_PATTERN, KawaError, type SyncProgress } from '@kawa/protocol';
import type { DockerEngine } from '../executors/docker/docker-engine.js';
import type { Logger } from '../logger.js';
import { systemClock, type Clock } from '../util/clock.js';
import { errorMessage } from '../util/errno.js';
import type { EnvRecords } from './env-records.js';
import { loadTarball } from './load-tarball.js';
import { pullImage } from './pull-image.js';
import { createSingleFlight, type FlightReporter, type FlightWatcher } from './single-flight.js';
import { envTarballDir, newestTarball, type Tarball } from './tarballs.js';

/** Where a Docker task's image comes from. */
export type ImageSource = { env: string } | { image: string };

/** How one task follows the sync of its image. */
export interface SyncWatcher {
  /** The task now waits for a load or a pull: the message of its `syncing` event. */
  syncing(message: string): void;
  progress(progress: SyncProgress): void;
}

export interface EnvSync {
  /**
   * Makes the task's image present and resolves with the image id to run. Rejects with a
   * KawaError (ENV_NOT_FOUND, ENV_SYNC_FAILED, DOCKER_*), or with the signal's reason once it
   * aborts: only this task stops waiting; a load others wait on goes on.
   */
  prepare(source: ImageSource, watcher: SyncWatcher, signal: AbortSignal): Promise<string>;
}

export interface EnvSyncOptions {
  engine: DockerEngine;
  sharedDir: string;
  records: EnvRecords;
  logger: Logger;
  clock?: Clock;
}

/** What a flight announces when it reaches its slow part. */
export interface SyncBegin {
  what: string;
  phase: 'loading' | 'pulling';
  totalBytes: number | null;
  leaderMessage: string;
  followerMessage: string;
}

/**
 * Env sync: an env task runs `kawa/<env>:base` as loaded from the env's newest tarball, and an
 * image task runs its registry image, pulled when missing. Both are single-flight per env or
 * image, so a burst of tasks on a cold node causes one load.
 */
export function createEnvSync(options: EnvSyncOptions): EnvSync {
  const { engine, logger, records } = options;
  const clock = options.clock ?? systemClock;
  const flights = createSingleFlight<SyncBegin, string>();

  async function syncEnv(env: string, reporter: FlightReporter<SyncBegin>): Promise<string> {
    let tarball: Tarball | null;
    try {
      tarball = await newestTarball(options.sharedDir, env);
    } catch (error) {
      throw new KawaError(
        'KAWA_ERR_ENV_SYNC_FAILED',
        `cannot read the tarballs of env ${env} in ${envTarballDir(options.sharedDir, env)}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    if (tarball === null) {
      throw new KawaError(
        'KAWA_ERR_ENV_NOT_FOUND',
        `env ${env} has no tarball in ${envTarballDir(options.sharedDir, env)}; create one with kawa docker tar create ${env}`,
      );
    }
    const [localId, record] = await Promise.all([engine.imageId(envImageTag(env)), records.get(env)]);
    const fresh =
      localId !== null &&
      ((tarball.meta !== null && sameImage(tarball.meta.imageId, localId)) ||
        (record !== null &&
          record.version === tarball.version &&
          record.bytes === tarball.bytes &&
          sameImage(record.imageId, localId)));
    if (fresh) return localId;

    reporter.begin({
      what: env,
      phase: 'loading',
      totalBytes: tarball.bytes,
      leaderMessage: `loading env ${env} (tarball ${tarball.version})`,
      followerMessage: `waiting for env ${env}: another task is loading it`,
    });
    // One line per load: the e2e tests count these to prove single-flight.
    logger.info(`loading env ${env} from ${tarball.path} (${tarball.bytes} bytes)`);
    const started = clock.now();
    const imageId = await loadTarball(engine, env, tarball, (doneBytes) =>
      reporter.progress({ what: env, phase: 'loading', doneBytes, totalBytes: tarball.bytes }),
    );
    logger.debug(`loaded env ${env} (tarball ${tarball.version}) as ${imageId} in ${clock.now() - started} ms`);
    await records
      .put(env, { version: tarball.version, bytes: tarball.bytes, imageId, loadedAt: clock.now() })
      .catch((error: unknown) =>
        logger.warn(`cannot record the load of env ${env} in ${records.dir}: ${errorMessage(error)}`),
      );
    return imageId;
  }

  async function syncImage(image: string, reporter: FlightReporter<SyncBegin>): Promise<string> {
    const present = await engine.imageId(image);
    if (present !== null) return present;
    reporter.begin({
      what: image,
      phase: 'pulling',
      totalBytes: null,
      leaderMessage: `pulling image ${image}`,
      followerMessage: `waiting for image ${image}: another task is pulling it`,
    });
    logger.info(`pulling image ${image}`);
    return pullImage(engine, image, (progress) => reporter.progress(progress));
  }

  return {
    prepare(source, watcher, signal) {
      const follow: FlightWatcher<SyncBegin> = {
        began(begin, leader) {
          watcher.syncing(leader ? begin.leaderMessage : begin.followerMessage);
          watcher.progress({
            what: begin.what,
            phase: leader ? begin.phase : 'waiting',
            doneBytes: 0,
            totalBytes: begin.totalBytes,
          });
        },
        progress: (progress) => watcher.progress(progress),
      };
      if ('env' in source) {
        const problem = envNameProblem(source.env);
        if (problem !== null) return Promise.reject(new KawaError('KAWA_ERR_BAD_ENV_NAME', problem));
        return flights.join(`env:${source.env}`, (reporter) => syncEnv(source.env, reporter), follow, signal);
      }
      if (!IMAGE_REF_PATTERN.test(source.image) || source.image.length > 512)
        return Promise.reject(
          new KawaError('KAWA_ERR_BAD_IMAGE', `"${source.image}" is not an image reference like debian:12`),
        );
      return flights.join(`image:${source.image}`, (reporter) => syncImage(source.image, reporter), follow, signal);
    },
  };
}

/** Image ids compare with or without their `sha256:` prefix (metadata may carry either). */
function sameImage(a: string, b: string): boolean {
  const bare = (id: string): string => id.replace(/^sha256:/, '');
  return bare(a) === bare(b);
}
