import { KawaError, type RouteAuth } from '@kawa/protocol';
import type { TokenRepo } from '../store/token-repo.js';
import type { Principal } from './principal.js';
import { hashToken } from './token-text.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** What a route or socket accepts: an API token (user or admin), or the runners' join token. */
export type Audience = RouteAuth | 'runner';

export class AuthService {
  constructor(private readonly tokens: TokenRepo) {}

  /** The principal behind an `Authorization` header, or a 401. */
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
    return { user: stored.user, admin: stored.kind === 'admin', kind: stored.kind };
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
}
