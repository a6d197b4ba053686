import { chmodSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { writeLine } from '../../io.js';
import { writeJson } from '../../output/json.js';
import { selfCommand } from '../../system/self-command.js';
import { renderConfigBlock, withConfigBlock } from './config-block.js';
import { proxyModeFor } from './proxy-command.js';
import { sshFiles } from './vps-alias.js';

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** The file to write: ~/.ssh/config, or what it links to (dotfile managers keep it elsewhere). */
function realTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Writes `text` to `path` through a temp file and a rename, mode 0600. */
function replaceFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = join(dirname(path), `.kawa-ssh-config-${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export function registerSshConfig(ssh: Command, context: CliContext): void {
  ssh
    .command('config')
    .summary('print, or write into ~/.ssh/config, the Host kawa-* block for ssh kawa-42')
    .description(
      'Prints the `Host kawa-*` block that lets plain OpenSSH tools reach a VPS by the name ' +
        'kawa-<id>: ssh kawa-42, scp file kawa-42:/shared/, rsync -e ssh, and VS Code Remote-SSH. ' +
        'With --write it puts the block into ~/.ssh/config: in place of the one it wrote before, ' +
        'else at the top; the rest of the file is kept, and the file is left with mode 0600.',
    )
    .option('--write', 'write or update the block in ~/.ssh/config')
    .option('--json', 'print { path, block, written, changed } as JSON')
    .action(
      context.run((options: { write?: boolean; json?: boolean }) => {
        const { io } = context;
        const files = sshFiles(io);
        const mode = proxyModeFor(context.config().client.host_url);
        const block = renderConfigBlock(selfCommand(io), context.globals(), io.cwd, files, mode);
        const path = join(io.env.HOME ?? homedir(), '.ssh', 'config');
        let changed = false;
        if (options.write === true) {
          const target = realTarget(path);
          const current = readIfThere(target);
          const next = withConfigBlock(current, block);
          changed = next !== current;
          if (changed) replaceFile(target, next);
          else chmodSync(target, 0o600);
          mkdirSync(files.kawaDir, { recursive: true, mode: 0o700 });
        }
        if (context.wantsJson(options.json)) {
          writeJson(io.stdout, { path, block, written: options.write === true, changed });
          return 0;
        }
        if (options.write !== true) {
          io.stdout.write(block);
          writeLine(io.stderr, `(add it to ${path} with: kawa ssh config --write)`);
        } else writeLine(io.stdout, changed ? `wrote the Host kawa-* block to ${path}` : `${path} is up to date`);
        if (context.globals().token !== undefined)
          writeLine(
            io.stderr,
            'note: --token is not written into the block; ssh kawa-N reads [client] token or token_file',
          );
        return 0;
      }),
    );
}
