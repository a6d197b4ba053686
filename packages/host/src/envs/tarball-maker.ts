import type { FastifyBaseLogger } from 'fastify';
import { KawaError, envContainerName, envImageTag, type TarCreateEvent, type TarballVersion } from '@kawa/protocol';
import type { Clock } from '../clock.js';
import type { DockerEngine } from './engine.js';
import type { EnvLocks } from './env-locks.js';
import { EventQueue } from './event-queue.js';
import type { HostContainers } from './host-containers.js';
import type { TarballStore } from './tarball-store.js';
import { writeTarball } from './tarball-writer.js';

export interface TarballMakerDeps {
  engine: DockerEngine;
  store: TarballStore;
  containers: HostContainers;
  locks: EnvLocks;
  /** env_tarballs_keep: versions kept per env after each new one. */
  keep: number;
  clock: Clock;
  log: FastifyBaseLogger;
}

export interface Packed {
  tarball: TarballVersion;
  /** Versions deleted because they were beyond `keep`. */
  removed: number[];
}

type ProgressEvent = Extract<TarCreateEvent, { type: 'progress' }>;
type DoneEvent = Extract<TarCreateEvent, { type: 'done' }>;

/**
 * Makes env tarballs: `tar create` (commit the host container, then save) and the default
 * env's first tarball (save an image already tagged). Writers of one env run one at a time
 * (EnvLocks): a second `tar create` of the same env waits for the first, then makes its own
 * version from the container as it is then.
 */
export class TarballMaker {
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly deps: TarballMakerDeps) {}

  /**
   * `tar create NAME`. The container is checked before anything is streamed, so a missing one
   * is a plain 404; what follows is the stream of progress events, ending in `done` (or a
   * thrown error, which the route writes as the `error` line). Stopping the iteration early
   * (the client left) aborts the work and removes its temp files.
   */
  async create(name: string, signal: AbortSignal): Promise<AsyncIterable<TarCreateEvent>> {
    await this.deps.containers.get(name);
    return this.events(name, signal);
  }

  /**
   * Saves `kawa/NAME:base`, already present, as the env's next version and prunes old ones.
   * The caller holds the env's lock.
   */
  async packTagged(name: string, signal: AbortSignal, onProgress: (event: ProgressEvent) => void): Promise<Packed> {
    const { engine, store } = this.deps;
    const ref = envImageTag(name);
    const image = await engine.inspectImage(ref);
    if (!image) throw new KawaError('KAWA_ERR_IMAGE_NOT_FOUND', `image ${ref} is not present locally`);
    const tarball = await writeTarball(engine, store, {
      name,
      imageRef: ref,
      imageId: image.id,
      estimatedBytes: image.sizeBytes,
      nowMs: this.deps.clock.now(),
      signal,
      onProgress: (doneBytes, totalBytes) => onProgress({ type: 'progress', phase: 'save', doneBytes, totalBytes }),
    });
    const removed = await store.prune(name, this.deps.keep);
    return { tarball, removed };
  }

  /** Resolves once no tarball is being written (after an abort, once temp files are gone). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Runs `body` as tracked work, so shutdown can wait for its clean-up. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    void work.then(
      () => this.running.delete(work),
      () => this.running.delete(work),
    );
    return work;
  }

  private async *events(name: string, signal: AbortSignal): AsyncGenerator<TarCreateEvent> {
    const queue = new EventQueue<TarCreateEvent>();
    const stop = new AbortController();
    const job = this.track(
      this.commitAndPack(name, AbortSignal.any([signal, stop.signal]), (event) => queue.push(event)),
    );
    job.then(
      (done) => {
        queue.push(done);
        queue.end();
      },
      (error: unknown) => queue.fail(error),
    );
    try {
      yield* queue;
    } finally {
      stop.abort(new Error('the tar create stream was closed'));
      await job.catch(() => undefined);
    }
  }

  private commitAndPack(name: string, signal: AbortSignal, emit: (event: ProgressEvent) => void): Promise<DoneEvent> {
    const { engine, locks, log } = this.deps;
    return locks.run(name, signal, async () => {
      emit({ type: 'progress', phase: 'commit', doneBytes: 0, totalBytes: null });
      const before = await engine.inspectImage(envImageTag(name));
      const imageId = await engine.commitContainer(envContainerName(name), `kawa/${name}`, 'base');
      signal.throwIfAborted();
      const packed = await this.packTagged(name, signal, emit);
      if (before && before.id !== imageId) {
        // The previous commit is now untagged; drop it unless a container still uses it.
        await engine.removeImage(before.id).catch((error: unknown) => {
          log.debug({ env: name, image: before.id, err: error }, 'kept the previous env image');
        });
      }
      log.info(
        { env: name, version: packed.tarball.version, bytes: packed.tarball.bytes, removed: packed.removed },
        'env tarball created',
      );
      return { type: 'done', name, tarball: packed.tarball, removed: packed.removed };
    });
  }
}
