import { KawaError, MAX_FRAME_BYTES, type ErrorCode } from '@kawa/protocol';
import WebSocket from 'ws';

export interface DialBackOptions {
  /** The stream's URL (runnerStreamUrl). */
  url: string;
  /** The join token: the host checks it as it checks the link's. */
  token: string;
  /** The whole dial, TCP connect and upgrade; the host gives up on the stream soon after anyway. */
  timeoutMs: number;
  /** Aborted when the runner stops. */
  signal: AbortSignal;
  /** PEM CA certificate(s) to trust for a wss:// host, as the link's. */
  ca?: Buffer | undefined;
}

/** What an HTTP refusal of the upgrade means for the stream. */
function refusalCode(status: number): ErrorCode {
  if (status === 401) return 'KAWA_ERR_UNAUTHORIZED';
  if (status === 403) return 'KAWA_ERR_FORBIDDEN';
  // No such stream: the host forgot it (it expired, or its client left).
  if (status === 404) return 'KAWA_ERR_NOT_FOUND';
  return 'KAWA_ERR_RUNNER_UNAVAILABLE';
}

/**
 * Dials a reverse stream back to the host: a WebSocket the runner opens, so the node needs no
 * listening port. Resolves with the open socket, paused (resume it once listening); rejects with a KawaError when the host
 * refuses it (the HTTP status says why), cannot be reached, or does not answer in time.
 */
export function dialBack(options: DialBackOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(options.url, {
      headers: { authorization: `Bearer ${options.token}` },
      // Frames from the host are bytes a client typed or scp sent: bounded like link frames.
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: false,
      // Client frames must carry a mask key; masking keeps a browser's scripts from making bytes
      // a proxy could take for HTTP. No script runs here, and a zero key turns masking (here)
      // and unmasking (on the host) into no-ops instead of a byte-by-byte XOR in JavaScript,
      // the slowest step of a bulk copy out of a VPS.
      generateMask: (mask: Buffer) => mask.fill(0),
      ...(options.ca ? { ca: options.ca } : {}),
    });
    let settled = false;
    const fail = (code: ErrorCode, message: string): void => {
      if (settled) return;
      settled = true;
      cleanUp();
      socket.terminate();
      reject(new KawaError(code, message));
    };
    const timer = setTimeout(
      () => fail('KAWA_ERR_RUNNER_TIMEOUT', `the host did not accept the stream within ${options.timeoutMs} ms`),
      options.timeoutMs,
    );
    const onAbort = (): void => fail('KAWA_ERR_RUNNER_UNAVAILABLE', 'the runner is stopping');
    const cleanUp = (): void => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    };
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });

    socket.once('open', () => {
      if (settled) return;
      settled = true;
      cleanUp();
      // Frames the host sends right behind the 101 can arrive in the same read, before the
      // caller's `await` resumes and attaches its listeners; paused, they wait for it (the
      // caller resumes the socket once it listens).
      socket.pause();
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      fail(refusalCode(status), `the host refused the stream with HTTP ${status}`);
    });
    socket.on('error', (error) => fail('KAWA_ERR_RUNNER_UNAVAILABLE', `cannot dial the host back: ${error.message}`));
    socket.once('close', () => fail('KAWA_ERR_RUNNER_UNAVAILABLE', 'the host closed the stream before it opened'));
  });
}
