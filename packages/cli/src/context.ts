import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createClient, type KawaClient } from '@kawa/client';
import { loadConfig, type ConfigOverrides, type KawaConfig } from '@kawa/config';
import { KawaError } from '@kawa/protocol';
import type { CliIo } from './io.js';
import { caFetch } from './system/ca-fetch.js';

/** The global flags every command accepts. */
export interface GlobalOptions {
  config?: string;
  hostUrl?: string;
  token?: string;
}

/** What a command's action needs: the io, and the config and client, each made once. */
export interface CliContext {
  readonly io: CliIo;
  /**
   * Loads the config on first use: the file (--config), KAWA_* variables, the global flags
   * and `overrides` (daemon flags). Later calls return the same frozen object.
   */
  config(overrides?: ConfigOverrides): Readonly<KawaConfig>;
  /** The API client for [client] host_url and the resolved token. */
  client(): KawaClient;
  /** Whether to print JSON: the command's --json flag, or [client] json. */
  wantsJson(flag: boolean | undefined): boolean;
  /** The global flags as given (--config, --host-url, --token), for commands that start kawa again. */
  globals(): Readonly<GlobalOptions>;
  /** Whether to use colour, spinners and hints. */
  readonly fancy: boolean;
  /** Wraps a command handler so the exit code it returns becomes the run's exit code. */
  run<A extends unknown[]>(handler: (...args: A) => Promise<number> | number): (...args: A) => Promise<void>;
  /** The exit code the last handler returned; 0 until one ran. */
  readonly exitCode: number;
}

const missingTokenHint = 'run `kawa up` on this machine, or set [client] token / KAWA_CLIENT_TOKEN';

/** Reads [client] token, else [client] token_file; no token at all is a config error. */
export function resolveToken(config: Readonly<KawaConfig>): string {
  if (config.client.token !== '') return config.client.token;
  const file = config.client.token_file;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(error as Error).message}`;
    throw new KawaError('KAWA_ERR_CONFIG', `no API token: ${missingTokenHint} (${why})`, { cause: error });
  }
  if (token === '') throw new KawaError('KAWA_ERR_CONFIG', `no API token: ${missingTokenHint} (${file} is empty)`);
  return token;
}

/** The PEM text of [client] ca_file, or undefined when it is not set. */
function readClientCa(path: string): string | undefined {
  if (path === '') return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new KawaError('KAWA_ERR_CONFIG', `cannot read [client] ca_file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function mergeOverrides(first: ConfigOverrides, second: ConfigOverrides = {}): ConfigOverrides {
  return {
    host: { ...first.host, ...second.host },
    runner: { ...first.runner, ...second.runner },
    client: { ...first.client, ...second.client },
  };
}

export function createContext(program: Command, io: CliIo): CliContext {
  let config: Readonly<KawaConfig> | undefined;
  let client: KawaClient | undefined;
  let exitCode = 0;
  const context: CliContext = {
    io,
    get exitCode() {
      return exitCode;
    },
    run(handler) {
      return async (...args) => {
        exitCode = await handler(...args);
      };
    },
    globals: () => program.opts<GlobalOptions>(),
    fancy: io.isTTY && (io.env.NO_COLOR ?? '') === '' && io.env.TERM !== 'dumb',
    config(overrides) {
      if (config) return config;
      const globals = context.globals();
      const flagOverrides: ConfigOverrides = { client: { host_url: globals.hostUrl, token: globals.token } };
      config = loadConfig({ env: io.env, path: globals.config, overrides: mergeOverrides(flagOverrides, overrides) });
      return config;
    },
    client() {
      if (client) return client;
      const loaded = context.config();
      const ca = readClientCa(loaded.client.ca_file);
      // A CA replaces the global fetch (it cannot take one); a test's fetch still wins.
      const fetchImpl = io.fetch ?? (ca === undefined ? undefined : caFetch(ca));
      client = createClient({
        baseUrl: loaded.client.host_url,
        token: resolveToken(loaded),
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
        ...(ca === undefined ? {} : { ca }),
      });
      return client;
    },
    wantsJson(flag) {
      return flag === true || context.config().client.json;
    },
  };
  return context;
}
