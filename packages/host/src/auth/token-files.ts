import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenKind, TokenRepo } from '../store/token-repo.js';
import { generateToken, hashToken } from './token-text.js';

export interface HostTokens {
  adminToken: string;
  joinToken: string;
  adminTokenFile: string;
  joinTokenFile: string;
}

/** The user an admin token acts as until users arrive (a later issue). */
export const ADMIN_USER = 'admin';
/** The pseudo-user of the cluster join token; it never owns anything. */
export const JOIN_USER = 'runner';

/**
 * Makes sure `<state_dir>/admin-token` and `<state_dir>/join-token` exist (mode 0600, the dir
 * 0700) and that the database knows their hashes. The first start creates them; later starts
 * reuse them, so `kawa up` and runners keep working across restarts.
 */
export function ensureTokens(stateDir: string, tokens: TokenRepo, now: number): HostTokens {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const adminTokenFile = join(stateDir, 'admin-token');
  const joinTokenFile = join(stateDir, 'join-token');
  const adminToken = ensureTokenFile(adminTokenFile, 'admin');
  const joinToken = ensureTokenFile(joinTokenFile, 'join');
  tokens.insert(hashToken(adminToken), 'admin', ADMIN_USER, now);
  tokens.insert(hashToken(joinToken), 'join', JOIN_USER, now);
  return { adminToken, joinToken, adminTokenFile, joinTokenFile };
}

function ensureTokenFile(path: string, kind: TokenKind): string {
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing !== '') {
      chmodSync(path, 0o600);
      return existing;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = generateToken(kind);
  // 'w' with mode only applies the mode on creation; chmod covers a pre-existing empty file.
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}
