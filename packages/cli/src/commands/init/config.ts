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

export function registerInitConfig(init: Command, context: CliContext, program: Command): void {
  init
    .command('config')
    .summary('write a commented default config file')
    .option('--path <file>', 'where to write it; default: --config, $KAWA_CONFIG or ~/.kawa/config.toml')
    .option('--force', 'replace an existing file')
    .action(
      context.run((options: { path?: string; force?: boolean }) => {
        const path = resolve(
          context.io.cwd,
          options.path ?? program.opts<GlobalOptions>().config ?? defaultConfigPath(context.io.env),
        );
        writePrivateFile(path, renderDefaultConfig(), options.force === true);
        writeLine(context.io.stdout, `wrote ${path}`);
        return 0;
      }),
    );
}
