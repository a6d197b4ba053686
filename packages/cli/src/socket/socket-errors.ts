import type { IncomingMessage } from 'node:http';
import { errorFromResponse, errorFromWire, hostUnreachable } from '@kawa/client';
import { KawaError, terminalCloseCodes } from '@kawa/protocol';

/** A close reason may lead with the code it stands for: `KAWA_ERR_…: message`. */
const CODED_REASON = /^(KAWA_ERR_[A-Z_]+):\s*(.*)$/s;

/**
 * The failure behind a WebSocket close that came without an `exit` or `error` frame; `what`
 * names the stream ("terminal", "SSH stream"), `doing` what could not be done on the host.
 */
export function closeError(
  close: { code: number; reason: string },
  baseUrl: string,
  socketError: Error | undefined,
  what: string,
  doing: string,
): KawaError {
  const { code, reason } = close;
  const coded = CODED_REASON.exec(reason);
  if (coded && code !== 1000) return errorFromWire({ code: coded[1] ?? '', message: coded[2] ?? '' });
  const said = reason === '' ? '' : `: ${reason}`;
  if (code === terminalCloseCodes.dockerFailed)
    return new KawaError('KAWA_ERR_DOCKER_FAILED', `the Docker Engine failed the ${what}${said}`);
  if (code === terminalCloseCodes.refused)
    return new KawaError('KAWA_ERR_BAD_REQUEST', `the host refused the ${what}${said}`);
  if (code === 1011)
    return new KawaError('KAWA_ERR_INTERNAL', `the host failed the ${what}${said}; its log has the details`);
  if (code === 1000 || code === 1001)
    return new KawaError(
      'KAWA_ERR_INTERNAL',
      `the host closed the ${what} without an exit status (close ${code}${said})`,
    );
  return hostUnreachable(baseUrl, socketError ?? new Error(`connection closed (${code}${said})`), doing);
}

/** An answer to the upgrade request other than 101: the host's error body, as from any route. */
export async function refusal(response: IncomingMessage, what: string): Promise<KawaError> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const status = response.statusCode !== undefined && response.statusCode >= 200 ? response.statusCode : 502;
  return errorFromResponse(new Response(Buffer.concat(chunks), { status }), what);
}
