import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KawaError } from '@kawa/protocol';
import type { ProcessRunner } from '../../system/processes.js';
import { forgetHostKey } from '../ssh/known-hosts.js';
import { generatedKeyPath, vpsAlias, type SshFiles } from '../ssh/vps-alias.js';

/** A key pair made for a VPS before the host gave it an id. */
export interface PendingKey {
  /** The private key's path; the public key is beside it with `.pub`. */
  path: string;
  publicKey: string;
}

/**
 * Makes an ed25519 pair with no passphrase, with the real ssh-keygen, under a name of its own
 * in ~/.kawa/keys (mode 0700). It is renamed after the VPS once created (adoptKey), or dropped.
 */
export async function generateKey(files: SshFiles, processes: ProcessRunner): Promise<PendingKey> {
  mkdirSync(files.keysDir, { recursive: true, mode: 0o700 });
  chmodSync(files.keysDir, 0o700);
  const path = join(files.keysDir, `pending-${randomBytes(6).toString('hex')}`);
  const made = await processes.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kawa-vps', '-f', path]);
  if (made.code !== 0) {
    dropKey(path);
    throw new KawaError(
      'KAWA_ERR_SPAWN_FAILED',
      `ssh-keygen failed (exit ${made.code}): ${made.stderr.trim() || made.stdout.trim()}`,
    );
  }
  return { path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

/** Names the pending key after VPS `id` (keys/kawa-<id>), where kawa ssh and the config block look. */
export function adoptKey(files: SshFiles, key: PendingKey, id: number): string {
  const path = generatedKeyPath(files, id);
  renameSync(`${key.path}.pub`, `${path}.pub`);
  renameSync(key.path, path);
  return path;
}

export function dropKey(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
}

/**
 * Readies this machine for a new VPS `id`: a known_hosts entry or a generated key left by an
 * earlier VPS with the same id (a host that started over) belongs to another machine.
 */
export function forgetOldVps(files: SshFiles, id: number): void {
  forgetHostKey(files.knownHosts, vpsAlias(id));
  dropKey(generatedKeyPath(files, id));
}
