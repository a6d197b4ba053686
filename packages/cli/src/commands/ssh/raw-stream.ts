import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { hostUnreachable, type SocketTarget } from '@kawa/client';
import { KawaError, SSH_RAW_UPGRADE } from '@kawa/protocol';
import { refusal } from '../../socket/socket-errors.js';

/**
 * The host answers the upgrade only once the VPS's end is ready (the runner has connected to
 * sshd), which its own stream-open timeout bounds; this bounds a host that never answers.
 */
const UPGRADE_TIMEOUT_MS = 60_000;

export interface RawSsh {
  /** The connection, carrying the SSH bytes unframed from here on. */
  socket: Socket;
  /** Bytes that came behind the 101 in the same read (none from a Kawa host before ssh speaks). */
  head: Buffer;
}

/** `ws://h/x` → `http://h/x`, `wss:` → `https:`: the raw upgrade goes to the same route. */
export function httpUrlOf(target: SocketTarget): URL {
  return new URL(target.url.replace(/^ws(s?):/i, (_match, secure: string) => `http${secure.toLowerCase()}:`));
}

/**
 * Opens vpsSsh with `Upgrade: kawa-ssh`: after the host's 101 the connection carries SSH bytes
 * unframed, so it can be piped or handed to ssh itself. A refusal is the host's coded HTTP error
 * (no token, not a VPS, not running, the node unreachable…); a host that cannot be reached is
 * KAWA_ERR_HOST_UNREACHABLE.
 */
export function openRawSsh(target: SocketTarget, baseUrl: string): Promise<RawSsh> {
  const url = httpUrlOf(target);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      agent: false,
      headers: { ...target.headers, connection: 'Upgrade', upgrade: SSH_RAW_UPGRADE },
      timeout: UPGRADE_TIMEOUT_MS,
      ...(secure && target.ca !== undefined ? { ca: target.ca } : {}),
    });
    request.once('upgrade', (response, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      const upgrade = response.headers.upgrade?.toLowerCase();
      if (upgrade === SSH_RAW_UPGRADE) return resolve({ socket, head });
      socket.destroy();
      reject(
        new KawaError('KAWA_ERR_PROTOCOL', `the host switched to ${upgrade ?? 'nothing'}, not ${SSH_RAW_UPGRADE}`),
      );
    });
    request.once('response', (response) => {
      refusal(response, `GET ${url.pathname}`).then(reject, reject);
    });
    request.once('timeout', () =>
      request.destroy(new Error(`no answer to the SSH stream within ${UPGRADE_TIMEOUT_MS / 1000} s`)),
    );
    request.once('error', (error) => reject(hostUnreachable(baseUrl, error, 'open an SSH stream on')));
    request.end();
  });
}
