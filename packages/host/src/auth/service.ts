import { KawaError, type RouteAuth } from '@kawa/protocol';
import type { TokenRepo } from '../store/token-repo.js';
import type { Principal } from './principal.js';
import { hashToken } from './token-text.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** What a route or socket accepts: an API token (user or admin), or the runners' join token. */
export type Audience = RouteAuth | 'runner';

/** Something a token opened that must end when the token is revoked (an open WebSocket). */
export type OnRevoke = () => void;

export class AuthService {
  /** Open WebSockets by token id, closed when their token is revoked. */
  private readonly open = new Map<number, Set<OnRevoke>>();

  constructor(private readonly tokens: TokenRepo) {}

  /**
   * The principal behind an `Authorization` header, or a 401. Every request reads the token's
   * row, so a revocation refuses its very next request.
   */
  authenticate(header: string | undefined): Principal {
    const match = header === undefined ? null : BEARER.exec(header);
    if (!match?.[1]) {
      throw new KawaError(
        'KAWA_ERR_UNAUTHORIZED',
        'missing token: send "Authorization: Bearer <token>" (a WebSocket may offer the subprotocols "kawa.v1, kawa.token.<token>")',
      );
    }
    const stored = this.tokens.findByHash(hashToken(match[1]));
    if (!stored)
      throw new KawaError('KAWA_ERR_UNAUTHORIZED', 'unknown token: check the token file or KAWA_CLIENT_TOKEN');
    if (stored.revokedAt !== null)
      throw new KawaError('KAWA_ERR_UNAUTHORIZED', 'this token was revoked: ask an admin for a new one');
    return { user: stored.user, admin: stored.admin, kind: stored.kind, tokenId: stored.id };
  }

  /** Authenticates and checks that the token may be used for `audience`, else a 401 or 403. */
  authorize(header: string | undefined, audience: Audience): Principal {
    const principal = this.authenticate(header);
    if (audience === 'runner') {
      if (principal.kind !== 'join') {
        throw new KawaError('KAWA_ERR_FORBIDDEN', 'the runner link needs the cluster join token, not an API token');
      }
      return principal;
    }
    if (principal.kind === 'join') {
      throw new KawaError('KAWA_ERR_FORBIDDEN', 'the join token is only for runners; use an API token');
    }
    if (audience === 'admin' && !principal.admin) {
      throw new KawaError('KAWA_ERR_FORBIDDEN', 'this needs an admin token');
    }
    return principal;
  }

  /** Runs `onRevoke` if the token is revoked while it is registered; returns the unregister. */
  watch(tokenId: number, onRevoke: OnRevoke): () => void {
    let set = this.open.get(tokenId);
    if (!set) {
      set = new Set();
      this.open.set(tokenId, set);
    }
    set.add(onRevoke);
    return () => {
      const current = this.open.get(tokenId);
      current?.delete(onRevoke);
      if (current?.size === 0) this.open.delete(tokenId);
    };
  }

  /** Called after a token's revocation is stored: closes what it has open. */
  revoked(tokenId: number): number {
    const set = this.open.get(tokenId);
    this.open.delete(tokenId);
    for (const onRevoke of set ?? []) onRevoke();
    return set?.size ?? 0;
  }
}
