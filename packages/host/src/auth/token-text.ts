import { createHash, randomBytes } from 'node:crypto';
import type { TokenKind } from '../store/token-repo.js';

/** A new random token, e.g. `kawa_admin_<43 base64url chars>` (32 random bytes). */
export function generateToken(kind: TokenKind): string {
  return `kawa_${kind}_${randomBytes(32).toString('base64url')}`;
}

/**
 * The stored form of a token. Lookup by sha256 keeps the comparison independent of how much of
 * a guess matches: an attacker learns nothing from timing about the stored hash's prefix.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
