import { KawaError, type ApiToken, type CreateUserRequest, type NewTokenResponse, type User } from '@kawa/protocol';
import type { AuthService } from '../auth/service.js';
import { generateToken, hashToken, tokenPrefix } from '../auth/token-text.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';

/**
 * Users and their API tokens. A token's text is made here, returned once, and stored only as
 * its sha256; revoking one refuses it at once and closes the WebSockets it holds open.
 */
export class UsersService {
  constructor(
    private readonly store: Pick<Store, 'db' | 'users' | 'tokens'>,
    private readonly auth: AuthService,
    private readonly clock: Clock,
  ) {}

  list(): User[] {
    return this.store.users.list();
  }

  add(request: Required<CreateUserRequest>): NewTokenResponse {
    return this.store.db.transaction(() => {
      if (!this.store.users.insert(request.name, request.admin, this.clock.now()))
        throw new KawaError('KAWA_ERR_USER_EXISTS', `user ${request.name} already exists; kawa user list shows users`);
      return this.newToken(request.name);
    })();
  }

  createToken(name: string): NewTokenResponse {
    return this.store.db.transaction(() => this.newToken(name))();
  }

  tokens(user?: string): ApiToken[] {
    if (user !== undefined) this.requireUser(user);
    return this.store.tokens.list(user);
  }

  revoke(id: number): ApiToken {
    const token = this.store.tokens.get(id);
    if (!token)
      throw new KawaError('KAWA_ERR_TOKEN_NOT_FOUND', `no API token has id ${id}; kawa token list shows them`);
    this.store.tokens.revoke(id, this.clock.now());
    this.auth.revoked(id);
    const revoked = this.store.tokens.get(id);
    if (!revoked) throw new Error(`token ${id} vanished while being revoked`);
    return revoked;
  }

  private newToken(name: string): NewTokenResponse {
    this.requireUser(name);
    const secret = generateToken('user');
    this.store.tokens.insert(hashToken(secret), 'api', name, tokenPrefix(secret), this.clock.now());
    const token = this.store.tokens.list(name).at(-1);
    const user = this.requireUser(name);
    if (!token) throw new Error(`the new token of ${name} was not stored`);
    return { user, token, secret };
  }

  private requireUser(name: string): User {
    const user = this.store.users.get(name);
    if (!user) throw new KawaError('KAWA_ERR_USER_NOT_FOUND', `no user is called ${name}; kawa user list shows users`);
    return user;
  }
}
