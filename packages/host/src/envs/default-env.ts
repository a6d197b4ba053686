import type { FastifyBaseLogger } from 'fastify';
import { ImageRefSchema, KawaError, NO_CONTAINER, type HostConfig } from '@kawa/protocol';
import type { DockerEngine } from './engine.js';
import type { EnvLocks } from './env-locks.js';
import type { TarballMaker } from './tarball-maker.js';
import type { TarballStore } from './tarball-store.js';

/** What the default-env builder last found; submit quotes it when the default env is missing. */
export type DefaultEnvOutcome =
  | { state: 'not-checked' }
  | { state: 'building' }
  | { state: 'ready'; detail: string }
  /** `reason` completes "default env "x" has no tarball: …". */
  | { state: 'missing'; reason: string };

export interface DefaultEnvDeps {
  config: Pick<HostConfig, 'default_container' | 'default_env_image' | 'docker_socket'>;
  engine: DockerEngine;
  store: TarballStore;
  maker: TarballMaker;
  locks: EnvLocks;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'debug'>;
}

const UNTIL_THEN = 'tasks without --container fail until then';

/**
 * Gives the default env (`host.default_container`) its first tarball on host start, from
 * `host.default_env_image` if that image is present locally (it never pulls), so that a task
 * submitted without --container can run on a fresh cluster. See docs/adr/0004-default-env.md.
 */
export class DefaultEnv {
  private current: DefaultEnvOutcome = { state: 'not-checked' };
  private build: Promise<DefaultEnvOutcome> | null = null;

  constructor(private readonly deps: DefaultEnvDeps) {}

  /** The env name, or null when the default is the no-Docker executor. */
  get name(): string | null {
    const name = this.deps.config.default_container;
    return name === NO_CONTAINER ? null : name;
  }

  get outcome(): DefaultEnvOutcome {
    return this.current;
  }

  /** Starts the check (once); the promise settles when it is done, never rejecting. */
  ensure(signal: AbortSignal): Promise<DefaultEnvOutcome> {
    if (!this.build) {
      // Building from the first moment, so a submit in the meantime waits instead of failing.
      if (this.name !== null) this.current = { state: 'building' };
      this.build = this.check(signal).then((outcome) => {
        this.current = outcome;
        return outcome;
      });
    }
    return this.build;
  }

  /** Resolves when no build runs. */
  async idle(): Promise<void> {
    await this.build;
  }

  /** Waits (at most `timeoutMs`) for a build under way; returns at once when none is. */
  async settled(timeoutMs: number): Promise<void> {
    if (this.current.state !== 'building' || !this.build) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.build,
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** The ENV_NOT_FOUND message for a submit that needs the default env while it has no tarball. */
  missingMessage(): string {
    const name = this.name ?? NO_CONTAINER;
    const prefix = `the default env "${name}" (host.default_container) has no tarball`;
    const create = `create it with kawa docker container create IMAGE ${name} and kawa docker tar create ${name}, or submit with --container NULL`;
    switch (this.current.state) {
      case 'missing':
        return `${prefix}: ${this.current.reason}`;
      case 'building':
        return `${prefix} yet: the host is still packing ${this.deps.config.default_env_image} as its first tarball; try again shortly`;
      case 'ready':
        return `${prefix} any more (its tarballs were deleted): ${create}`;
      case 'not-checked':
        return `${prefix}, and this host has not tried to pack ${this.deps.config.default_env_image} for it: ${create}`;
    }
  }

  private async check(signal: AbortSignal): Promise<DefaultEnvOutcome> {
    const { config, engine, store, log } = this.deps;
    const name = this.name;
    if (name === null) return { state: 'ready', detail: 'the default is the no-Docker executor' };
    if (await store.has(name)) {
      log.debug({ env: name }, `default env "${name}" has a tarball`);
      return { state: 'ready', detail: 'it already had a tarball' };
    }
    const image = config.default_env_image;
    const missing = (reason: string): DefaultEnvOutcome => {
      log.warn({ env: name, image }, `default env "${name}" has no tarball: ${reason}`);
      return { state: 'missing', reason };
    };
    if (!ImageRefSchema.safeParse(image).success) {
      return missing(
        `host.default_env_image "${image}" is not an image reference like debian:bookworm-slim; fix it and restart the host; ${UNTIL_THEN}`,
      );
    }
    try {
      const present = await engine.inspectImage(image);
      if (!present) {
        return missing(
          `image ${image} is not present locally; run docker pull ${image} (or set host.default_env_image), ` +
            `or create an env with kawa docker container create IMAGE ${name} and kawa docker tar create ${name}; ${UNTIL_THEN}`,
        );
      }
      const packed = await this.deps.locks.run(name, signal, async () => {
        // A tar create may have made one while this waited for the lock.
        if (await store.has(name)) return null;
        await engine.tagImage(image, `kawa/${name}`, 'base');
        return this.deps.maker.packTagged(name, signal, () => undefined);
      });
      if (packed) {
        log.info(
          { env: name, image, version: packed.tarball.version, bytes: packed.tarball.bytes },
          `default env "${name}" packed from image ${image} as ${store.tarballPath(name, packed.tarball.version)} (${packed.tarball.bytes} bytes)`,
        );
      }
      return { state: 'ready', detail: `packed from ${image}` };
    } catch (error) {
      if (signal.aborted) return { state: 'missing', reason: 'the host stopped while packing it' };
      if (error instanceof KawaError && error.code === 'KAWA_ERR_DOCKER_UNAVAILABLE') {
        return missing(
          `Docker does not answer on ${config.docker_socket}, so image ${image} could not be packed; ` +
            `start Docker and restart the host, or submit with --container NULL; ${UNTIL_THEN}`,
        );
      }
      const message = error instanceof Error ? error.message : String(error);
      return missing(`packing image ${image} failed: ${message}; ${UNTIL_THEN}`);
    }
  }
}
