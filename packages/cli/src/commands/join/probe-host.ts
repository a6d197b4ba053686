import { hostUnreachable } from '@kawa/client';
import { API_PREFIX, ErrorBodySchema, KawaError, type ErrorCode } from '@kawa/protocol';

/** What a Kawa host said to GET /whoami with a given token. */
export interface HostAnswer {
  status: number;
  /** The Kawa error code of a refusal; null on success or a body that is not Kawa's. */
  code: ErrorCode | null;
  /** The host's clock from the Date header, when it sent one. */
  date: Date | null;
  /** Round-trip time of the request, in ms. */
  roundTripMs: number;
}

/** A base URL the CLI can talk to: http(s), no query or fragment. */
export function checkHostUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KawaError(
      'KAWA_ERR_USAGE',
      `"${text}" is not a URL: give the host's URL, for example http://kawa-host:8000`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new KawaError('KAWA_ERR_USAGE', `"${text}" is not an http:// or https:// URL`);
  if (url.search !== '' || url.hash !== '')
    throw new KawaError('KAWA_ERR_USAGE', `"${text}": the host URL takes no query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

/**
 * Asks the host who `token` belongs to (GET /whoami), without throwing for a refusal: a 401
 * or 403 with a Kawa error body still proves a Kawa host answers at `baseUrl`. A connection
 * failure is KAWA_ERR_HOST_UNREACHABLE; an answer that is not Kawa's is KAWA_ERR_HOST_UNREACHABLE
 * too, with what answered.
 */
export async function probeHost(
  baseUrl: string,
  token: string | null,
  options: { fetch?: typeof fetch; now?: () => number; timeoutMs?: number } = {},
): Promise<HostAnswer> {
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const started = now();
  let response: Response;
  try {
    response = await fetchImpl(`${baseUrl}${API_PREFIX}/whoami`, {
      method: 'GET',
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw hostUnreachable(baseUrl, error);
  }
  const roundTripMs = now() - started;
  const text = await response.text().catch(() => '');
  const dateHeader = response.headers.get('date');
  const date = dateHeader === null ? null : new Date(dateHeader);
  const validDate = date !== null && !Number.isNaN(date.getTime()) ? date : null;
  if (response.ok) return { status: response.status, code: null, date: validDate, roundTripMs };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = ErrorBodySchema.safeParse(body);
  if (!parsed.success)
    throw new KawaError(
      'KAWA_ERR_HOST_UNREACHABLE',
      `${baseUrl} answered HTTP ${response.status}, but not as a Kawa host: check the URL and port`,
    );
  return { status: response.status, code: parsed.data.error.code, date: validDate, roundTripMs };
}
