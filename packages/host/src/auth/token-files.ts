import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenRepo } from '../store/token-repo.js';
import type { UserRepo } from '../store/user-repo.js';
import { generateToken, hashToken, tokenPrefix, type TokenLabel } from './token-text.js';

export interface HostTokens {
  adminToken: string;
  joinToken: string;
  adminTokenFile: string;
  joinTokenFile: string;
}

/** The admin user of the admin token file; `kawa user add` adds the others. */
export const ADMIN_USER = 'admin';
/** The pseudo-user of the cluster join token; it never owns anything. */
export const JOIN_USER = 'runner';

/**
 * Makes sure `<state_dir>/admin-token` and `<state_dir>/join-token` exist (mode 0600, the dir
 * 0700) and that the database knows their hashes. The first start creates them; later starts
 * reuse them, so `kawa up` and runners keep working across restarts.
 */
export function ensureTokens(stateDir: string, store: { tokens: TokenRepo; users: UserRepo }, now: number): HostTokens {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const adminTokenFile = join(stateDir, 'admin-token');
  const joinTokenFile = join(stateDir, 'join-token');
  const adminToken = ensureTokenFile(adminTokenFile, 'admin');
  const joinToken = ensureTokenFile(joinTokenFile, 'join');
  store.users.insert(ADMIN_USER, true, now);
  store.tokens.insert(hashToken(adminToken), 'api', ADMIN_USER, tokenPrefix(adminToken), now);
  store.tokens.insert(hashToken(joinToken), 'join', JOIN_USER, tokenPrefix(joinToken), now);
  return { adminToken, joinToken, adminTokenFile, joinTokenFile };
}

function ensureTokenFile(path: string, kind: TokenLabel): string {
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
