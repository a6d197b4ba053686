import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { HostConfig } from '@kawa/protocol';
import type { Clock } from '../clock.js';
import { DefaultEnv } from './default-env.js';
import { createDockerEngine, type DockerEngine } from './engine.js';
import { createEnvCheck, type EnvCheck } from './env-check.js';
import { EnvLocks } from './env-locks.js';
import { HostContainers } from './host-containers.js';
import type { ShellDeps } from './shell-session.js';
import { TarballMaker } from './tarball-maker.js';
import { TarballStore } from './tarball-store.js';

/** `docker stop` waits this long before it kills; env containers usually run an idle shell. */
const STOP_TIMEOUT_SECONDS = 3;

export interface EnvServiceOptions {
  config: HostConfig;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Aborts when the host shuts down: open terminals close. */
  shutdown: AbortSignal;
}

/** Host containers, tarballs, the default env and terminals: everything behind the docker routes. */
export interface EnvServices {
  engine: DockerEngine;
  containers: HostContainers;
  tarballs: TarballStore;
  maker: TarballMaker;
  locks: EnvLocks;
  defaultEnv: DefaultEnv;
  check: EnvCheck;
  shell: ShellDeps;
  /** Resolves once no tarball is being written and the default-env build (if any) ended. */
  idle(): Promise<void>;
}

export function createEnvServices(options: EnvServiceOptions): EnvServices {
  const { config, clock, log } = options;
  const engine = createDockerEngine(config.docker_socket);
  const containers = new HostContainers(engine, STOP_TIMEOUT_SECONDS);
  const tarballs = new TarballStore(join(config.shared_dir, 'containers'));
  const locks = new EnvLocks();
  const maker = new TarballMaker({
    engine,
    store: tarballs,
    containers,
    locks,
    keep: config.env_tarballs_keep,
    clock,
    log,
  });
  const defaultEnv = new DefaultEnv({ config, engine, store: tarballs, maker, locks, log });
  return {
    engine,
    containers,
    tarballs,
    maker,
    locks,
    defaultEnv,
    check: createEnvCheck(tarballs, defaultEnv),
    shell: { engine, containers, log, shutdown: options.shutdown },
    idle: async () => {
      await defaultEnv.idle();
      await maker.idle();
    },
  };
}
