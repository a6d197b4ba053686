import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultConfigPath, renderDefaultConfig } from '@kawa/config';
import { KawaError } from '@kawa/protocol';
import type { CliContext, GlobalOptions } from '../../context.js';
import { writeLine } from '../../io.js';

/**
 * Writes `text` to `path` with mode 0600 (the file may hold a token). Refuses to replace an
 * existing file unless `force`. Creates the directory (0700) if needed.
 */
export function writePrivateFile(path: string, text: string, force: boolean): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, text, { mode: 0o600, flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KawaError('KAWA_ERR_USAGE', `${path} already exists: add --force to replace it`);
    }
    throw new KawaError('KAWA_ERR_CONFIG', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
  // An existing file keeps its old mode on overwrite; tighten it.
  chmodSync(path, 0o600);
}

/** The sections of a config file, in file order. */
export const configFileSections = ['host', 'runner', 'client'] as const;
export type ConfigFileSection = (typeof configFileSections)[number];

/**
 * The commented default cut down to `sections`: the heading comment, then each chosen
 * section with its comments, so a runner machine gets only [runner] (and [client]).
 */
export function defaultConfigFor(sections: readonly ConfigFileSection[]): string {
  // Cut before each section heading: the file's heading comment, then one piece per section.
  const [heading = '', ...pieces] = renderDefaultConfig().split(/^(?=\[(?:host|runner|client)\]$)/m);
  const chosen = pieces.filter((piece) => sections.some((section) => piece.startsWith(`[${section}]\n`)));
  return `${heading}${chosen.map((piece) => piece.trimEnd()).join('\n\n')}\n`;
}

interface InitConfigFlags {
  path?: string;
  force?: boolean;
  host?: boolean;
  runner?: boolean;
  client?: boolean;
}

export function registerInitConfig(init: Command, context: CliContext, program: Command): void {
  init
    .command('config')
    .summary('write a commented default config file')
    .description(
      'Write a commented default config. With --host, --runner or --client (any mix) only those sections ' +
        'are written: a runner machine needs [runner] (and [client] to use the CLI there).',
    )
    .option('--path <file>', 'where to write it; default: --config, $KAWA_CONFIG or ~/.kawa/config.toml')
    .option('--host', 'the [host] section')
    .option('--runner', 'the [runner] section')
    .option('--client', 'the [client] section')
    .option('--force', 'replace an existing file')
    .action(
      context.run((options: InitConfigFlags) => {
        const path = resolve(
          context.io.cwd,
          options.path ?? program.opts<GlobalOptions>().config ?? defaultConfigPath(context.io.env),
        );
        const chosen = configFileSections.filter((section) => options[section] === true);
        const text = chosen.length === 0 ? renderDefaultConfig() : defaultConfigFor(chosen);
        writePrivateFile(path, text, options.force === true);
        writeLine(context.io.stdout, `wrote ${path}`);
        return 0;
      }),
    );
}
