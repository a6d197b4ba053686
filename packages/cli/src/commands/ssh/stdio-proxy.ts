import type { Socket } from 'node:net';
import { hostUnreachable, type SocketTarget } from '@kawa/client';
import { KawaError } from '@kawa/protocol';
import { UsageError } from '../../errors.js';
import type { CliOutput } from '../../io.js';
import { httpUrlOf, openRawSsh } from './raw-stream.js';

export interface StdioProxyOptions {
  /** The vpsSsh route's URL and auth headers, from `client.socket`. */
  target: SocketTarget;
  baseUrl: string;
  /** What ssh writes to the proxy: the client's side of the SSH connection. */
  input: NodeJS.ReadableStream;
  /** Where the server's side goes back to ssh. */
  output: CliOutput;
}

/** After ssh hangs up, how long to wait for the host to close its side. */
const CLOSE_GRACE_MS = 2_000;

/**
 * `kawa ssh --stdio`: the bytes of one SSH connection between stdin/stdout and the host's
 * vpsSsh route, upgraded to unframed bytes (`kawa-ssh`), as ssh's ProxyCommand expects.
 * Resolves when either side ends; rejects with the host's coded refusal of the upgrade (no
 * token, not a VPS, …) or, when the connection breaks midway, KAWA_ERR_HOST_UNREACHABLE.
 * Nothing is ever written to `output` but the server's bytes.
 */
export async function runStdioProxy(options: StdioProxyOptions): Promise<void> {
  const { target, baseUrl, input, output } = options;
  const { socket, head } = await openRawSsh(target, baseUrl);
  socket.setNoDelay(true);
  if (head.length > 0) output.write(head);
  let inputEnded = false;
  let broken: Error | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        if (!output.write(chunk) && output.once) {
          socket.pause();
          output.once('drain', () => socket.resume());
        }
      });
      socket.on('error', (error) => (broken = error));
      socket.once('close', () => {
        if (broken === undefined || inputEnded) return resolve();
        reject(hostUnreachable(baseUrl, broken, 'keep an SSH stream open on'));
      });
      // ssh closed its side: the connection is over once what was sent has gone.
      input.once('end', () => {
        inputEnded = true;
        setTimeout(resolve, CLOSE_GRACE_MS).unref();
      });
      input.pipe(socket);
    });
  } finally {
    input.unpipe(socket);
    input.pause();
    socket.destroy();
  }
}

export interface FdPassOptions {
  target: SocketTarget;
  baseUrl: string;
  /** Hands the socket to ssh (CliIo.passSocket); undefined when ssh did not start us that way. */
  passSocket: ((socket: Socket) => Promise<void>) | undefined;
}

/**
 * `kawa ssh --fdpass`: opens the same upgraded connection and hands the socket itself to ssh
 * (ProxyUseFdpass), then exits, so the SSH bytes flow between ssh and the host with no process
 * in between. The host sends nothing after its 101 until ssh's first byte, and ssh sends nothing
 * before this process has exited, so no byte is read here. Plain http only: ssh cannot speak TLS.
 */
export async function runFdPass(options: FdPassOptions): Promise<void> {
  const { target, baseUrl, passSocket } = options;
  if (httpUrlOf(target).protocol !== 'http:')
    throw new UsageError(
      'KAWA_ERR_USAGE',
      `--fdpass hands ssh a plain TCP connection, but the host at ${baseUrl} takes TLS: use --stdio`,
    );
  if (passSocket === undefined)
    throw new UsageError(
      'KAWA_ERR_USAGE',
      '--fdpass is for ssh: ProxyUseFdpass=yes with ProxyCommand `env NODE_CHANNEL_FD=1 kawa ssh --fdpass ID` ' +
        '(what kawa ssh and kawa ssh config write); run kawa ssh ID, or use --stdio',
    );
  const { socket, head } = await openRawSsh(target, baseUrl);
  if (head.length > 0) {
    socket.destroy();
    throw new KawaError('KAWA_ERR_PROTOCOL', 'the host sent SSH bytes before ssh spoke; use --stdio');
  }
  socket.setNoDelay(true);
  try {
    await passSocket(socket);
  } catch (error) {
    socket.destroy();
    throw new KawaError('KAWA_ERR_INTERNAL', `could not hand the connection to ssh: ${(error as Error).message}`);
  }
}
