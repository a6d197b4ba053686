import { KawaError } from '@kawa/protocol';

/**
 * A route without a query schema takes no query: a parameter it would silently ignore is
 * refused, so a misspelt one (`?timeout=` for `?timeoutMs=`) does not pass unnoticed.
 */
export function noQuery(query: unknown): undefined {
  const names = typeof query === 'object' && query !== null ? Object.keys(query) : [];
  if (names.length > 0) {
    throw new KawaError(
      'KAWA_ERR_BAD_REQUEST',
      `query: this route takes no query parameters, got ${names.join(', ')}`.slice(0, 300),
    );
  }
  return undefined;
}
