import { connect } from 'node:net';

/** One answer read off a raw socket: status, headers and body (chunked bodies decoded). */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (let guard = 0; guard < 10_000; guard += 1) {
    const end = rest.indexOf('\r\n');
    if (end === -1) break;
    const size = Number.parseInt(rest.slice(0, end), 16);
    if (!(size > 0)) break;
    out += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 2 + size + 2);
  }
  return out;
}

/**
 * Writes `request` (bytes exactly as given: malformed on purpose) to the host and reads until
 * the host closes the connection. Resolves null when the host closed without answering.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms to ${JSON.stringify(request.toString().slice(0, 200))}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    // Written, not ended: Node aborts a request whose client half-closes before the answer.
    // Requests say `Connection: close`; one the host waits on ends at its request timeout.
    socket.once('connect', () => socket.write(request));
    socket.once('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split === -1) {
        resolve(null);
        return;
      }
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      // Only the first answer counts: a host may answer early (a 401 before the body) and then
      // answer the rest of the bytes as a second, broken request.
      const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
      const bytes = Buffer.from(text.slice(split + 4), 'latin1');
      const rawBody = (length === null ? bytes : bytes.subarray(0, length)).toString('utf8');
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: headers['transfer-encoding'] === 'chunked' ? dechunk(rawBody) : rawBody,
      });
    });
  });
}

/** Percent-encodes every byte outside RFC 3986's unreserved set; a lone surrogate becomes U+FFFD. */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
