import { shallowRef } from 'vue';
import { createClient, type KawaClient } from '@kawa/client';

const TOKEN_KEY = 'kawa.token';

/**
 * The API token lives in sessionStorage: it survives a reload but not the tab, and it is never
 * put in a URL. The dashboard is served by the host it talks to, so the base URL is our origin.
 */
export const token = shallowRef<string | null>(sessionStorage.getItem(TOKEN_KEY));

export function setToken(value: string | null): void {
  if (value === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, value);
  token.value = value;
}

export const baseUrl = window.location.origin;

/** A client for a token: every call carries `Authorization: Bearer <token>`. */
export function clientFor(value: string): KawaClient {
  return createClient({ baseUrl, token: value, fetch: window.fetch.bind(window) });
}

let cached: { token: string; client: KawaClient } | null = null;

/** The client of the logged-in token. Pages behind the login only. */
export function api(): KawaClient {
  const current = token.value;
  if (current === null) throw new Error('not logged in');
  if (cached?.token !== current) cached = { token: current, client: clientFor(current) };
  return cached.client;
}

/** `ws://` or `wss://` for our origin. */
export function webSocketUrl(path: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}
