import { resolve } from 'node:path';
import type { GlobalOptions } from '../../context.js';
import type { SelfCommand } from '../../system/self-command.js';

/**
 * A word for the shell ssh runs its ProxyCommand with (`$SHELL -c "exec …"`): bare when it has
 * only characters no shell treats specially, else single-quoted.
 */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_\-+=.,/:@]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A value for an ssh option that splits on white space (UserKnownHostsFile, IdentityFile). */
export function sshConfigWord(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

/**
 * How ssh's ProxyCommand reaches the host: `fdpass` hands ssh the upgraded connection itself
 * (ProxyUseFdpass), so no process relays the bytes; `stdio` relays them, which TLS needs (ssh
 * cannot speak it on a handed-over socket).
 */
export type ProxyMode = 'fdpass' | 'stdio';

export function proxyModeFor(hostUrl: string): ProxyMode {
  return /^https:/i.test(hostUrl) ? 'stdio' : 'fdpass';
}

/**
 * The ProxyCommand that reaches VPS `vps` through the host: this very node and CLI script (so
 * it works without kawa on PATH), the --config and --host-url this run was given (never the
 * token: it would show in ps and in ~/.ssh/config), then `ssh --stdio <vps>`, or for `fdpass`
 * `ssh --fdpass <vps>` under `env NODE_CHANNEL_FD=1` (node then speaks IPC on the socket ssh gave
 * as stdout, which is how the connection goes back to ssh). `vps` is a number, or ssh's `%n`
 * token, which is left for ssh to expand; every other `%` is doubled.
 */
export function proxyCommand(
  self: SelfCommand,
  globals: Readonly<GlobalOptions>,
  cwd: string,
  vps: string,
  mode: ProxyMode,
): string {
  const words = mode === 'fdpass' ? ['env', 'NODE_CHANNEL_FD=1', self.node, self.script] : [self.node, self.script];
  if (globals.config !== undefined) words.push('--config', resolve(cwd, globals.config));
  if (globals.hostUrl !== undefined) words.push('--host-url', globals.hostUrl);
  words.push('ssh', mode === 'fdpass' ? '--fdpass' : '--stdio');
  return [...words.map((word) => shellWord(word).replace(/%/g, '%%')), vps].join(' ');
}
