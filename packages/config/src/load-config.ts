import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigFileSchema, KawaError, configSections, fromZodError, type ConfigFile } from '@kawa/protocol';

/** Flag values, by section and key, that override the file and the environment. */
export type ConfigOverrides = { [S in keyof ConfigFile]?: Partial<Record<keyof ConfigFile[S], unknown>> };

export interface LoadConfigOptions {
  /** The process environment; read only here (STYLE.md: nothing else reads process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** A config file to read instead of $KAWA_CONFIG or ~/.kawa/config.toml. */
  path?: string;
  overrides?: ConfigOverrides;
}

export interface KawaConfig extends ConfigFile {
  /** The file the config came from, or where it would be. */
  readonly path: string;
  readonly fileExists: boolean;
  readonly homeDir: string;
}

/** Where `kawa` keeps its config and, by default, its state. */
export function kawaHome(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(env.HOME ?? homedir(), '.kawa');
}

export function defaultConfigPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.KAWA_CONFIG ?? join(kawaHome(env), 'config.toml');
}

/** Expands a leading `~/` against `homeDir`. */
export function expandHome(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  return path.startsWith('~/') ? join(homeDir, path.slice(2)) : path;
}

/**
 * Reads the config once: the TOML file, then KAWA_<SECTION>_<KEY> variables, then flags.
 * Paths come back with `~` expanded and the runner name resolved. The result is frozen.
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<KawaConfig> {
  const env = options.env ?? process.env;
  const homeDir = env.HOME ?? homedir();
  const path = options.path ?? defaultConfigPath(env);
  const { raw, exists } = readToml(path);

  for (const section of configSections) {
    const sectionValues = (raw[section] ??= {}) as Record<string, unknown>;
    if (typeof sectionValues !== 'object' || Array.isArray(sectionValues)) {
      throw new KawaError('KAWA_ERR_CONFIG', `${path}: [${section}] must be a table`);
    }
    const prefix = `KAWA_${section.toUpperCase()}_`;
    for (const [name, value] of Object.entries(env)) {
      if (value !== undefined && name.startsWith(prefix))
        sectionValues[name.slice(prefix.length).toLowerCase()] = value;
    }
    for (const [key, value] of Object.entries(options.overrides?.[section] ?? {})) {
      if (value !== undefined) sectionValues[key] = value;
    }
  }

  const parsed = ConfigFileSchema.safeParse(raw);
  if (!parsed.success) {
    const error = fromZodError(parsed.error, `config ${path} (or a KAWA_* variable)`);
    throw new KawaError(
      'KAWA_ERR_CONFIG',
      `${error.message}. Fix the value, or run "kawa init config" for a commented default.`,
      {
        details: error.details,
      },
    );
  }
  const config = parsed.data;
  const expand = (value: string): string => expandHome(value, homeDir);
  const result: KawaConfig = {
    path,
    fileExists: exists,
    homeDir,
    host: {
      ...config.host,
      state_dir: expand(config.host.state_dir),
      shared_dir: expand(config.host.shared_dir),
      tls_cert: expand(config.host.tls_cert),
      tls_key: expand(config.host.tls_key),
    },
    runner: {
      ...config.runner,
      name: config.runner.name === '' ? sanitizeNodeName(hostname()) : config.runner.name,
      join_token_file: expand(config.runner.join_token_file),
      state_dir: expand(config.runner.state_dir),
      shared_dir: expand(config.runner.shared_dir),
      local_temp_dir: expand(config.runner.local_temp_dir),
      ca_file: expand(config.runner.ca_file),
    },
    client: { ...config.client, token_file: expand(config.client.token_file), ca_file: expand(config.client.ca_file) },
  };
  return deepFreeze(result);
}

function readToml(path: string): { raw: Record<string, unknown>; exists: boolean } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { raw: {}, exists: false };
    throw new KawaError('KAWA_ERR_CONFIG', `cannot read config ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return { raw: parseToml(text), exists: true };
  } catch (error) {
    throw new KawaError('KAWA_ERR_CONFIG', `config ${path} is not valid TOML: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Hostnames may hold characters node names do not; keep the first label, made safe. */
export function sanitizeNodeName(name: string): string {
  const first = name.split('.')[0] ?? '';
  const safe = first
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return safe === '' ? 'node' : safe;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
