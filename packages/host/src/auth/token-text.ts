import { createHash, randomBytes } from 'node:crypto';

/** What a token's text starts with: `kawa_admin_…`, `kawa_join_…` or `kawa_user_…`. */
export type TokenLabel = 'admin' | 'join' | 'user';

/** A new random token, e.g. `kawa_user_<43 base64url chars>` (32 random bytes). */
export function generateToken(label: TokenLabel): string {
  return `kawa_${label}_${randomBytes(32).toString('base64url')}`;
}

/** How many random characters of a token its listed prefix shows (48 of its 256 bits). */
const PREFIX_RANDOM_CHARS = 8;

/** The part of a token `kawa token list` shows to tell tokens apart: `kawa_user_AbCdEfGh`. */
export function tokenPrefix(token: string): string {
  const match = /^(kawa_[a-z]+_)(.*)$/.exec(token);
  if (!match) return token.slice(0, PREFIX_RANDOM_CHARS);
  return `${match[1]}${(match[2] ?? '').slice(0, PREFIX_RANDOM_CHARS)}`;
}

/**
 * The stored form of a token. Lookup by sha256 keeps the comparison independent of how much of
 * a guess matches: an attacker learns nothing from timing about the stored hash's prefix.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
