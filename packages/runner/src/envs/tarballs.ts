import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  sharedLayout,
  TARBALL_FILE_PATTERN,
  tarballMetaFileName,
  TarballMetaSchema,
  type TarballMeta,
} from '@kawa/protocol';
import { errnoCode } from '../util/errno.js';

/** A finished env tarball on shared storage. */
export interface Tarball {
  /** The unix timestamp in its name. */
  version: number;
  path: string;
  bytes: number;
  /** From `<version>.json`; null when that file is missing or unreadable. */
  meta: TarballMeta | null;
}

export const envTarballDir = (sharedDir: string, env: string): string => join(sharedDir, sharedLayout.containers, env);

/**
 * The env's newest finished tarball, or null when it has none. Only `<ts>.tar` names count: the
 * host writes to a temp name and renames, so a half-written file never matches.
 */
export async function newestTarball(sharedDir: string, env: string): Promise<Tarball | null> {
  const dir = envTarballDir(sharedDir, env);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
  const tarballs = names
    .flatMap((name) => {
      const version = TARBALL_FILE_PATTERN.exec(name)?.[1];
      return version === undefined ? [] : [{ name, version: Number(version) }];
    })
    .sort((a, b) => b.version - a.version);
  // The newest may vanish between readdir and stat (the host prunes old ones, an admin deletes
  // one): fall back to the next.
  for (const { name, version } of tarballs) {
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile()) continue;
      return { version, path, bytes: info.size, meta: await readMeta(join(dir, tarballMetaFileName(version))) };
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
  return null;
}

/** The metadata next to a tarball. Optional: without it the runner trusts its own record. */
async function readMeta(path: string): Promise<TarballMeta | null> {
  try {
    const parsed = TarballMetaSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
