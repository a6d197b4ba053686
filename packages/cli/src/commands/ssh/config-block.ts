import { proxyCommand, sshConfigWord, type ProxyMode } from './proxy-command.js';
import type { SshFiles } from './vps-alias.js';
import type { GlobalOptions } from '../../context.js';
import type { SelfCommand } from '../../system/self-command.js';

export const BLOCK_START = '# >>> kawa ssh config: managed by `kawa ssh config --write`; edits inside are replaced >>>';
export const BLOCK_END = '# <<< kawa ssh config <<<';

/**
 * ssh's own default keys. A Host block that names an IdentityFile replaces them, so the block
 * names them again: a VPS made with ~/.ssh/id_ed25519.pub must still take that key.
 */
const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'];

/**
 * The `Host kawa-*` block: `ssh kawa-42` (and scp, rsync, VS Code Remote-SSH) goes through
 * `kawa ssh --stdio kawa-42`, as root, with Kawa's known_hosts and the key `vps create
 * --generate-key` made for that VPS (`%n` is the name typed: kawa-42). It ends with `Host *`,
 * so whatever follows it in the file applies to every host, as it did before.
 */
export function renderConfigBlock(
  self: SelfCommand,
  globals: Readonly<GlobalOptions>,
  cwd: string,
  files: SshFiles,
  mode: ProxyMode,
): string {
  const lines = [
    BLOCK_START,
    'Host kawa-*',
    '  User root',
    `  ProxyCommand ${proxyCommand(self, globals, cwd, '%n', mode)}`,
    ...(mode === 'fdpass' ? ['  ProxyUseFdpass yes'] : []),
    `  UserKnownHostsFile ${sshConfigWord(files.knownHosts)}`,
    '  StrictHostKeyChecking accept-new',
    '  HashKnownHosts no',
    `  IdentityFile ${sshConfigWord(`${files.keysDir.replace(/%/g, '%%')}/%n`)}`,
    ...DEFAULT_IDENTITIES.map((name) => `  IdentityFile ~/.ssh/${name}`),
    'Host *',
    BLOCK_END,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `current` (the text of ~/.ssh/config, empty when there is none) with the block put in: in
 * place of an earlier Kawa block, else at the top, where it comes before any `Host *` defaults
 * (ssh takes the first value it finds). Everything else in the file is kept as it is.
 */
export function withConfigBlock(current: string, block: string): string {
  const start = current.indexOf(BLOCK_START);
  const end = start < 0 ? -1 : current.indexOf(BLOCK_END, start);
  if (start >= 0 && end >= 0) {
    let after = end + BLOCK_END.length;
    if (current[after] === '\n') after += 1;
    return current.slice(0, start) + block + current.slice(after);
  }
  if (current.trim() === '') return block;
  return `${block}\n${current}`;
}
