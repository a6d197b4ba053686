import type { Duplex } from 'node:stream';
import { chmodSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { HostConfig } from '@kawa/protocol';
import { buildApp, type LogLevel } from './app.js';
import { ensureTokens } from './auth/token-files.js';
import { openStore } from './store/store.js';
import { readTlsFiles } from './tls-files.js';

export interface StartHostOptions {
  /** The host section of the config, from @kawa/config's loadConfig (paths already expanded). */
  config: HostConfig;
  logLevel?: LogLevel;
  /** The built web dashboard to serve at `/` (see AppDeps.webRoot). */
  webRoot?: string | null;
  /** Milliseconds since the epoch; tests pass their own. */
  now?: () => number;
}

export interface RunningHost {
  /** Where the API listens, e.g. http://127.0.0.1:8123 (https:// with TLS), with the port actually bound. */
  url: string;
  port: number;
  adminTokenFile: string;
  joinTokenFile: string;
  /**
   * For a runner started in this process (`kawa up`): hands over its end of a stream, the TCP
   * connection to a VPS's sshd, in place of a dial-back over loopback. False when no stream
   * with this id waits for one; the caller then keeps (and closes) the socket.
   */
  acceptLocalStream(streamId: string, socket: Duplex): boolean;
  /** Closes runner links (hostShutdown), open requests, the listener and the database. */
  close(): Promise<void>;
}

/** A URL host part for a listen address: wildcards become loopback, IPv6 gets brackets. */
function urlHost(listen: string): string {
  if (listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '::') return '[::1]';
  return listen.includes(':') ? `[${listen}]` : listen;
}

/** Opens the state dir and database, creates tokens on first start, and listens. */
export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const tls = readTlsFiles(config);
  mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
  chmodSync(config.state_dir, 0o700);
  mkdirSync(config.shared_dir, { recursive: true });

  const store = openStore(join(config.state_dir, 'kawa.db'), now);
  try {
    const tokens = ensureTokens(config.state_dir, store, now());
    const app = buildApp({
      config,
      store,
      clock: { now },
      buildDefaultEnv: true,
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      webRoot: options.webRoot ?? null,
      tls,
    });
    try {
      await app.listen({ host: config.listen, port: config.port });
    } catch (error) {
      await app.close();
      throw error;
    }
    const port = (app.server.address() as AddressInfo).port;
    let closing: Promise<void> | null = null;
    return {
      url: `${tls ? 'https' : 'http'}://${urlHost(config.listen)}:${port}`,
      port,
      adminTokenFile: tokens.adminTokenFile,
      joinTokenFile: tokens.joinTokenFile,
      acceptLocalStream: (streamId, socket) => app.acceptLocalStream(streamId, socket),
      close: () => {
        closing ??= app.close().finally(() => store.close());
        return closing;
      },
    };
  } catch (error) {
    store.close();
    throw error;
  }
}
