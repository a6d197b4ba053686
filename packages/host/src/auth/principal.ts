import type { TokenKind } from '../store/token-repo.js';

/** Who is behind a request's token. */
export interface Principal {
  user: string;
  admin: boolean;
  kind: TokenKind;
  /** The token's id: revoking it closes what it opened. */
  tokenId: number;
}
