import { ErrorBodySchema, ErrorCodeSchema, KawaError, type ErrorCode } from '@kawa/protocol';

/** What to tell a user whose client cannot reach the host. */
const reachHint = 'is `kawa up` or `kawa host` running? check [client] host_url (or --host-url, KAWA_CLIENT_HOST_URL)';

/** Describes a fetch failure by its most specific cause (ECONNREFUSED, ENOTFOUND, …). */
function describeCause(error: unknown): string {
  let current: unknown = error;
  let description = error instanceof Error ? error.message : String(error);
  // Node's fetch throws TypeError('fetch failed') with the socket error as its cause.
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (current.message !== '' && current.message !== 'fetch failed') description = current.message;
    current = current.cause;
  }
  return description;
}

/** A connection failure, as the KAWA_ERR_HOST_UNREACHABLE every client reports. */
export function hostUnreachable(baseUrl: string, error: unknown, doing = 'reach'): KawaError {
  return new KawaError(
    'KAWA_ERR_HOST_UNREACHABLE',
    `cannot ${doing} the Kawa host at ${baseUrl} (${describeCause(error)}): ${reachHint}`,
    {
      cause: error,
    },
  );
}

/** Codes for answers that carry no Kawa error body, for example from a proxy in between. */
const statusCodes: Partial<Record<number, ErrorCode>> = {
  400: 'KAWA_ERR_BAD_REQUEST',
  401: 'KAWA_ERR_UNAUTHORIZED',
  403: 'KAWA_ERR_FORBIDDEN',
  404: 'KAWA_ERR_NOT_FOUND',
  405: 'KAWA_ERR_METHOD_NOT_ALLOWED',
  413: 'KAWA_ERR_PAYLOAD_TOO_LARGE',
  415: 'KAWA_ERR_UNSUPPORTED_MEDIA_TYPE',
};

/** Turns a non-2xx answer into a KawaError, trusting only a body that parses as an ErrorBody. */
export async function errorFromResponse(response: Response, what: string): Promise<KawaError> {
  const text = await response.text().catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = ErrorBodySchema.safeParse(json);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new KawaError(code, message, { details });
  }
  const code = statusCodes[response.status] ?? 'KAWA_ERR_INTERNAL';
  const snippet = text.trim().slice(0, 200);
  return new KawaError(
    code,
    `${what} answered HTTP ${response.status} without a Kawa error body${snippet === '' ? '' : `: ${snippet}`} (is host_url a Kawa host?)`,
    { details: { status: response.status } },
  );
}

/**
 * An answer that is well-formed but that the contract does not allow: client and host most
 * likely run different Kawa versions.
 */
export function contractMismatch(error: unknown): KawaError {
  const message = error instanceof Error ? error.message : String(error);
  return new KawaError('KAWA_ERR_INTERNAL', `${message} (do the client and host run the same Kawa version?)`, {
    cause: error,
  });
}

/**
 * A KawaError from an error carried inside a stream or a frame (`{code, message, details}`),
 * where the code is a plain string: a code this client does not know becomes KAWA_ERR_INTERNAL
 * and keeps the original in the message.
 */
export function errorFromWire(error: { code: string; message: string; details?: unknown }): KawaError {
  const known = ErrorCodeSchema.safeParse(error.code);
  if (known.success) return new KawaError(known.data, error.message, { details: error.details });
  return new KawaError('KAWA_ERR_INTERNAL', `${error.message} (unknown code ${error.code} from the host)`, {
    details: error.details,
  });
}
