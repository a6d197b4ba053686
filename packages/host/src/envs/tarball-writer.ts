import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tarballMetaFileName, type TarballMeta, type TarballVersion } from '@kawa/protocol';
import type { DockerEngine } from './engine.js';
import { toEngineError } from './engine-errors.js';
import type { TarballStore } from './tarball-store.js';

/** Progress goes out at most this often (about four lines a second). */
export const PROGRESS_INTERVAL_MS = 250;

export interface TarballWrite {
  name: string;
  /** The image to save, `kawa/NAME:base`: `docker load` of the tarball restores that tag. */
  imageRef: string;
  imageId: string;
  /** The image's size, as the estimate of the tarball's; null when unknown. */
  estimatedBytes: number | null;
  nowMs: number;
  signal: AbortSignal;
  onProgress(doneBytes: number, totalBytes: number | null): void;
}

/** Flushes a file (or a dir's entries) to the disk. */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `docker save` of the image into a new version of the env's tarball, so that no reader ever
 * sees a partial one: the bytes go to `.<ts>.tar.tmp-<random>` (ignored by every reader),
 * are synced, the `<ts>.json` metadata is put in place, and only then is the temp file renamed
 * to `<ts>.tar`. A runner that sees the tarball can therefore trust its metadata. On any
 * failure or abort the temp files are removed.
 */
export async function writeTarball(
  engine: DockerEngine,
  store: TarballStore,
  write: TarballWrite,
): Promise<TarballVersion> {
  const dir = store.envDir(write.name);
  await mkdir(dir, { recursive: true });
  const version = await store.nextVersion(write.name, write.nowMs);
  const suffix = randomBytes(6).toString('hex');
  const tempTar = join(dir, `.${version}.tar.tmp-${suffix}`);
  const tempMeta = join(dir, `.${version}.json.tmp-${suffix}`);
  const metaPath = join(dir, tarballMetaFileName(version));
  let metaInPlace = false;
  let engineError: unknown = null;

  let doneBytes = 0;
  let lastProgressAt = -Infinity;
  const total = (): number | null => (write.estimatedBytes === null ? null : Math.max(write.estimatedBytes, doneBytes));
  const report = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - lastProgressAt < PROGRESS_INTERVAL_MS) return;
    lastProgressAt = now;
    write.onProgress(doneBytes, total());
  };

  try {
    write.signal.throwIfAborted();
    const source = await engine.saveImage(write.imageRef);
    source.once('error', (error) => {
      engineError = error;
    });
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        doneBytes += chunk.length;
        report(false);
        callback(null, chunk);
      },
    });
    report(true);
    await pipeline(source, counter, createWriteStream(tempTar, { flags: 'wx', mode: 0o644 }), {
      signal: write.signal,
    });
    await syncPath(tempTar);
    // What is on the disk, not what passed through: they differ only if something is badly wrong.
    doneBytes = (await stat(tempTar)).size;
    report(true);

    const meta: TarballMeta = { imageId: write.imageId, bytes: doneBytes, createdAt: write.nowMs };
    await writeFile(tempMeta, `${JSON.stringify(meta)}\n`, { flag: 'wx', mode: 0o644 });
    await syncPath(tempMeta);
    await rename(tempMeta, metaPath);
    metaInPlace = true;
    await rename(tempTar, store.tarballPath(write.name, version));
  } catch (error) {
    await rm(tempTar, { force: true });
    await rm(tempMeta, { force: true });
    if (metaInPlace) await rm(metaPath, { force: true });
    if (write.signal.aborted) throw write.signal.reason;
    if (engineError !== null)
      throw toEngineError(engineError, engine.socketPath, { action: `save image ${write.imageRef}` });
    throw error;
  }
  // The renames are durable once the dir is synced; the tarball is complete either way.
  await syncPath(dir).catch(() => undefined);
  return { version, bytes: doneBytes, createdAt: write.nowMs, imageId: write.imageId };
}
