import { readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  KawaError,
  TARBALL_FILE_PATTERN,
  TarballMetaSchema,
  envNameProblem,
  tarballFileName,
  tarballMetaFileName,
  type EnvTarballs,
  type TarballMeta,
  type TarballVersion,
} from '@kawa/protocol';
import { assertContained } from '../paths/contained.js';

const isMissing = (error: unknown): boolean => (error as { code?: unknown }).code === 'ENOENT';

/** The finished versions in an env dir, oldest first. Temp files (`.…tar.tmp-…`) never match. */
function versionsIn(files: readonly string[]): number[] {
  return files
    .map((file) => TARBALL_FILE_PATTERN.exec(file)?.[1])
    .filter((digits): digits is string => digits !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Env tarballs on shared storage: `<root>/<env>/<unix-ts>.tar` with `<unix-ts>.json` beside it.
 * This class only reads and deletes; tarball-writer.ts makes new versions.
 */
export class TarballStore {
  /** `root` is `<shared_dir>/containers`. */
  constructor(readonly root: string) {}

  envDir(name: string): string {
    return join(this.root, name);
  }

  tarballPath(name: string, version: number): string {
    return join(this.envDir(name), tarballFileName(version));
  }

  /**
   * Refuses (KAWA_ERR_UNSAFE_PATH) an env dir that is a symlink or leads outside the containers
   * dir: every read, delete and write of an env's tarballs goes through versionNumbers or
   * readMeta, which call this first, so nothing is read or written through such a link.
   */
  async assertSafeDir(name: string): Promise<void> {
    await assertContained(this.envDir(name), this.root, `the tarball dir of env "${name}"`);
  }

  /** Finished versions of `name`, oldest first; none when the env has no dir. */
  async versionNumbers(name: string): Promise<number[]> {
    await this.assertSafeDir(name);
    try {
      return versionsIn(await readdir(this.envDir(name)));
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async has(name: string): Promise<boolean> {
    return (await this.versionNumbers(name)).length > 0;
  }

  /** The env's tarballs, newest first, with size and the metadata written beside each. */
  async versions(name: string): Promise<TarballVersion[]> {
    const numbers = (await this.versionNumbers(name)).reverse();
    const found = await Promise.all(numbers.map((version) => this.describe(name, version)));
    return found.filter((version): version is TarballVersion => version !== null);
  }

  /** Every env dir, by name, with its versions. Entries that are not valid env names are skipped. */
  async list(): Promise<EnvTarballs[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const names = entries
      .filter((entry) => entry.isDirectory() && envNameProblem(entry.name) === null)
      .map((entry) => entry.name)
      .sort();
    return Promise.all(names.map(async (name) => ({ name, versions: await this.versions(name) })));
  }

  /**
   * Deletes one version, or every version when `version` is undefined; returns those deleted.
   * 404 TARBALL_NOT_FOUND for a missing version, ENV_NOT_FOUND when the env has none at all.
   */
  async remove(name: string, version: number | undefined, keepDir: boolean): Promise<number[]> {
    const existing = await this.versionNumbers(name);
    if (version !== undefined) {
      if (!existing.includes(version)) {
        throw new KawaError(
          'KAWA_ERR_TARBALL_NOT_FOUND',
          `env "${name}" has no tarball version ${version}` +
            (existing.length > 0 ? `; it has ${existing.join(', ')}` : ''),
        );
      }
      await this.removeVersion(name, version);
      return [version];
    }
    if (existing.length === 0) throw new KawaError('KAWA_ERR_ENV_NOT_FOUND', `env "${name}" has no tarballs`);
    for (const each of existing) await this.removeVersion(name, each);
    // The dir goes with the last tarball, unless a tar create is writing into it right now.
    if (!keepDir) await rmdir(this.envDir(name)).catch(() => undefined);
    return existing;
  }

  /** Deletes the oldest versions beyond `keep`; returns them, oldest first. */
  async prune(name: string, keep: number): Promise<number[]> {
    const existing = await this.versionNumbers(name);
    const removed = existing.slice(0, Math.max(0, existing.length - keep));
    for (const version of removed) await this.removeVersion(name, version);
    return removed;
  }

  /** The version a new tarball gets: now in unix seconds, but always after the newest one. */
  async nextVersion(name: string, nowMs: number): Promise<number> {
    const newest = (await this.versionNumbers(name)).at(-1);
    const now = Math.floor(nowMs / 1000);
    return newest === undefined ? now : Math.max(now, newest + 1);
  }

  async readMeta(name: string, version: number): Promise<TarballMeta | null> {
    await this.assertSafeDir(name);
    try {
      const text = await readFile(join(this.envDir(name), tarballMetaFileName(version)), 'utf8');
      const parsed = TarballMetaSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      // Missing or unreadable metadata only costs the image id; the tarball itself is still good.
      return null;
    }
  }

  private async describe(name: string, version: number): Promise<TarballVersion | null> {
    let stats;
    try {
      stats = await stat(this.tarballPath(name, version));
    } catch (error) {
      // Deleted between the listing and now.
      if (isMissing(error)) return null;
      throw error;
    }
    const meta = await this.readMeta(name, version);
    return {
      version,
      bytes: stats.size,
      createdAt: meta?.createdAt ?? Math.round(stats.mtimeMs),
      imageId: meta?.imageId ?? null,
    };
  }

  /** The tarball goes first, so a reader never sees a tarball whose metadata is gone. */
  private async removeVersion(name: string, version: number): Promise<void> {
    await rm(this.tarballPath(name, version), { force: true });
    await rm(join(this.envDir(name), tarballMetaFileName(version)), { force: true });
  }
}
