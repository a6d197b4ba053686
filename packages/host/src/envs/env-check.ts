import { KawaError } from '@kawa/protocol';
import type { DefaultEnv } from './default-env.js';
import type { TarballStore } from './tarball-store.js';

/** How long a submit waits for the default env's first tarball while the host is packing it. */
const DEFAULT_ENV_WAIT_MS = 60_000;

/** What submit needs to know about envs: that the one a task names exists. */
export interface EnvCheck {
  /** Resolves when `name` has a finished tarball; otherwise 404 KAWA_ERR_ENV_NOT_FOUND saying what to do. */
  requireEnv(name: string): Promise<void>;
}

/** An env exists once it has at least one finished tarball on shared storage. */
export function createEnvCheck(store: TarballStore, defaultEnv: DefaultEnv): EnvCheck {
  return {
    async requireEnv(name) {
      const isDefault = name === defaultEnv.name;
      // Right after start the default env may still be being packed; a short wait beats a 404.
      if (isDefault) await defaultEnv.settled(DEFAULT_ENV_WAIT_MS);
      if (await store.has(name)) return;
      const message = isDefault
        ? defaultEnv.missingMessage()
        : `env "${name}" has no tarball under ${store.envDir(name)}: create it with ` +
          `kawa docker container create IMAGE ${name}, then kawa docker tar create ${name}`;
      throw new KawaError('KAWA_ERR_ENV_NOT_FOUND', message, { details: { env: name } });
    },
  };
}
