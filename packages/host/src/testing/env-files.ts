import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestHost } from './test-host.js';

/**
 * Gives `env` a finished tarball file on the host's shared storage: enough for submit, which
 * only checks that one exists. (Its content is not an image; tests that load one use tar create.)
 */
export function fakeTarball(host: TestHost, env: string, version = 1_700_000_000): string {
  const dir = join(host.config.shared_dir, 'containers', env);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${version}.tar`);
  writeFileSync(path, 'not an image');
  return path;
}
