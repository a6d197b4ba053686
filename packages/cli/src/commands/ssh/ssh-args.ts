import { sshConfigWord } from './proxy-command.js';
import { vpsAlias } from './vps-alias.js';

export interface SshArgsInput {
  id: number;
  /** From proxyCommand(). */
  proxy: string;
  /** Whether the proxy hands ssh its connection (ProxyUseFdpass). */
  fdpass: boolean;
  knownHosts: string;
  /** The key `vps create --generate-key` made for this VPS, when there is one. */
  identityFile: string | null;
  /** The user's own ssh options and remote command, passed on as given. */
  passThrough: readonly string[];
}

/**
 * The argv of `ssh` for `kawa ssh <id>`. Kawa's options come first, so they win over the
 * user's ~/.ssh/config (ssh keeps the first value it sees); the user's options and command go
 * after the destination, where OpenSSH still reads options up to the first plain word.
 * - HostKeyAlias kawa-<id>: the VPS's host key is remembered under its own name, not under
 *   whatever the proxy connects to, in Kawa's own known_hosts file;
 * - accept-new: a VPS's first key is taken, a changed one is refused;
 * - HashKnownHosts no: `vps create` can drop a stale entry for a reused id.
 */
export function sshArgs(input: SshArgsInput): string[] {
  const alias = vpsAlias(input.id);
  return [
    '-o',
    `ProxyCommand=${input.proxy}`,
    ...(input.fdpass ? ['-o', 'ProxyUseFdpass=yes'] : []),
    '-o',
    `HostKeyAlias=${alias}`,
    '-o',
    `UserKnownHostsFile=${sshConfigWord(input.knownHosts)}`,
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    'HashKnownHosts=no',
    ...(input.identityFile === null ? [] : ['-i', input.identityFile]),
    `root@${alias}`,
    ...input.passThrough,
  ];
}
