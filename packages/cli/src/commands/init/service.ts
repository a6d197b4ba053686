import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { KawaError } from '@kawa/protocol';
import type { CliContext, GlobalOptions } from '../../context.js';
import { UsageError } from '../../errors.js';
import { writeLine } from '../../io.js';
import { selfCommand } from '../../system/self-command.js';
import { renderUnit, unitName, type ServiceRole } from './systemd-unit.js';

interface ServiceFlags {
  host?: boolean;
  runner?: boolean;
  user?: string;
  output?: string;
  dir: string;
  print?: boolean;
  force?: boolean;
}

/** A user name systemd accepts in User= (and nothing a unit file could misread). */
const userPattern = /^[a-z_][a-z0-9_-]*[$]?$/i;

function roleOf(flags: ServiceFlags): ServiceRole {
  if (flags.host === true && flags.runner === true)
    throw new UsageError('KAWA_ERR_USAGE', 'choose one of --host and --runner: each gets its own unit');
  if (flags.host === true) return 'host';
  if (flags.runner === true) return 'runner';
  throw new UsageError('KAWA_ERR_USAGE', 'say which unit to write: --host or --runner');
}

function writeUnitFile(path: string, text: string, force: boolean): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, text, { mode: 0o644, flag: force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError('KAWA_ERR_USAGE', `${path} already exists: add --force to replace it`);
    const hint = code === 'EACCES' ? ' (run it with sudo, or write elsewhere with --output and copy it)' : '';
    throw new KawaError('KAWA_ERR_CONFIG', `cannot write ${path}: ${(error as Error).message}${hint}`, {
      cause: error,
    });
  }
  chmodSync(path, 0o644);
}

export function registerInitService(init: Command, context: CliContext, program: Command): void {
  init
    .command('service')
    .summary('write a systemd unit for the host or the runner')
    .description(
      'Write a systemd unit that runs `kawa host` or `kawa runner` with this installation of kawa (absolute paths), ' +
        'restarts it on failure and starts it after Docker. Then: systemctl daemon-reload && systemctl enable --now kawa-<role>.',
    )
    .option('--host', 'the unit for `kawa host` (kawa-host.service)')
    .option('--runner', 'the unit for `kawa runner` (kawa-runner.service)')
    .option('--user <user>', 'run the daemon as this user (default: root); it needs access to the Docker socket')
    .option('--dir <dir>', 'where to write the unit', '/etc/systemd/system')
    .option('--output <file>', 'write the unit to this file instead of <dir>/kawa-<role>.service')
    .option('--print', 'print the unit instead of writing it')
    .option('--force', 'replace an existing unit file')
    .action(
      context.run((flags: ServiceFlags) => {
        const role = roleOf(flags);
        if (flags.user !== undefined && !userPattern.test(flags.user))
          throw new UsageError('KAWA_ERR_USAGE', `--user "${flags.user}" is not a valid user name`);
        const self = selfCommand(context.io);
        const globals = program.opts<GlobalOptions>();
        const explicitConfig = globals.config ?? context.io.env.KAWA_CONFIG;
        const text = renderUnit({
          role,
          node: self.node,
          script: resolve(context.io.cwd, self.script),
          // With no --config the service reads its own user's ~/.kawa/config.toml.
          ...(explicitConfig === undefined ? {} : { configPath: resolve(context.io.cwd, explicitConfig) }),
          ...(flags.user === undefined ? {} : { user: flags.user }),
        });
        if (flags.print === true) {
          context.io.stdout.write(text);
          return 0;
        }
        const target = flags.output ?? join(flags.dir, unitName(role));
        const path = isAbsolute(target) ? target : resolve(context.io.cwd, target);
        writeUnitFile(path, text, flags.force === true);
        writeLine(context.io.stdout, `wrote ${path}`);
        writeLine(context.io.stdout, `next: systemctl daemon-reload && systemctl enable --now ${unitName(role)}`);
        return 0;
      }),
    );
}
