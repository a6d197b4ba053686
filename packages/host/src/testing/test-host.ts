import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HostConfigSchema, type HostConfig } from '@kawa/protocol';
import { buildApp, type AppDeps } from '../app.js';
import { ensureTokens, type HostTokens } from '../auth/token-files.js';
import { openStore, type Store } from '../store/store.js';

/** A host app on a real SQLite database in a fresh temp dir, for in-process tests. */
export interface TestHost {
  app: FastifyInstance;
  store: Store;
  tokens: HostTokens;
  config: HostConfig;
  dir: string;
  /** `Authorization` headers for the admin and join tokens. */
  admin: { authorization: string };
  join: { authorization: string };
  close(): Promise<void>;
}

export type TestHostOptions = Partial<Omit<AppDeps, 'config' | 'store'>> & {
  config?: Partial<Record<keyof HostConfig, unknown>>;
};

/** Builds (but does not ready or listen) a host; tests may still add hooks. */
export function createTestHost(options: TestHostOptions = {}): TestHost {
  const dir = mkdtempSync(join(tmpdir(), 'kawa-host-test-'));
  const config = HostConfigSchema.parse({
    listen: '127.0.0.1',
    port: 0,
    state_dir: join(dir, 'state'),
    shared_dir: join(dir, 'shared'),
    // Most host tests are about scheduling and the link, not envs: they run no-Docker tasks
    // unless they ask for a default env (the real default, "default", needs a tarball).
    default_container: 'NULL',
    ...options.config,
  });
  mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
  mkdirSync(config.shared_dir, { recursive: true });
  const store = openStore(join(config.state_dir, 'kawa.db'));
  const tokens = ensureTokens(config.state_dir, store, Date.now());
  const { config: _config, ...rest } = options;
  const app = buildApp({
    logLevel: 'silent',
    validateResponses: true,
    commandTimeoutMs: 2_000,
    logPollMs: 50,
    ...rest,
    config,
    store,
  });
  return {
    app,
    store,
    tokens,
    config,
    dir,
    admin: { authorization: `Bearer ${tokens.adminToken}` },
    join: { authorization: `Bearer ${tokens.joinToken}` },
    close: async () => {
      await app.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Listens on an ephemeral loopback port; returns the http:// and ws:// base URLs. */
export async function listen(host: TestHost): Promise<{ http: string; ws: string }> {
  await host.app.listen({ host: '127.0.0.1', port: 0 });
  const address = host.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { http: `http://127.0.0.1:${address.port}`, ws: `ws://127.0.0.1:${address.port}` };
}
