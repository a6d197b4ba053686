import { join } from 'node:path';
import { kawaHome } from '@kawa/config';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { parseTaskIds } from '../../parse.js';

/** The host name a VPS goes by in ssh: `kawa-42`, matched by the `Host kawa-*` block. */
export function vpsAlias(id: number): string {
  return `kawa-${id}`;
}

/** A VPS id as `42` or as its ssh host name `kawa-42` (what ssh passes for %n). */
export function parseVpsId(text: string): number {
  const bare = /^kawa-(\d+)$/.exec(text.trim())?.[1];
  if (bare === undefined && !/^\d+$/.test(text.trim()))
    throw new UsageError('KAWA_ERR_USAGE', `"${text}" is not a VPS id: give its number (42) or its ssh name (kawa-42)`);
  const [id] = parseTaskIds([bare ?? text]);
  return id ?? 0;
}

/** Where kawa keeps what ssh needs: the known hosts of VPSes and the keys it generated. */
export interface SshFiles {
  kawaDir: string;
  knownHosts: string;
  keysDir: string;
}

export function sshFiles(io: CliIo): SshFiles {
  const kawaDir = kawaHome(io.env);
  return { kawaDir, knownHosts: join(kawaDir, 'known_hosts'), keysDir: join(kawaDir, 'keys') };
}

/**
 * The private key `vps create --generate-key` made for VPS `id`. Named after the ssh host name
 * so that the config block can name it with ssh's own token: `IdentityFile …/keys/%n`.
 */
export function generatedKeyPath(files: SshFiles, id: number): string {
  return join(files.keysDir, vpsAlias(id));
}
