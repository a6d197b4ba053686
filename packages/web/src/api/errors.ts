import { isKawaError } from '@kawa/protocol';
import { setToken } from './session';

/** What to show for a failed call: the host's code and message when it sent one. */
export function errorText(error: unknown): string {
  if (isKawaError(error)) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

/** A revoked or wrong token sends the user back to the login page. */
export function handleAuthError(error: unknown): void {
  if (isKawaError(error) && error.code === 'KAWA_ERR_UNAUTHORIZED') setToken(null);
}
