import type { KawaError } from '@kawa/protocol';

/** WebSocket close reasons are limited to 123 bytes. */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= 123
    ? text
    : `${bytes
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')}...`;
}

/**
 * The close code a stream ends with after an `error` frame: 4000 + the error's HTTP status,
 * as the terminal codes already are (4400 refused, 4502 Docker failed): 4409 not running,
 * 4413 too much early input, 4503 runner unavailable, 4504 runner timeout. A bug is 1011.
 */
export function closeCodeOf(error: KawaError): number {
  return error.status >= 500 && error.code === 'KAWA_ERR_INTERNAL' ? 1011 : 4000 + error.status;
}

/**
 * Whether `code`, received from one side, may be sent on to the other. 1005 (no code) and 1006
 * (the connection dropped) are only ever observed, never sent; the caller decides what they
 * mean for the other side.
 */
export function isForwardableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  );
}
