import { createReadStream } from 'node:fs';
import { pipeline, Transform } from 'node:stream';
import { envImageTag, isKawaError, KawaError } from '@kawa/protocol';
import type { DockerEngine } from '../executors/docker/docker-engine.js';
import { errorMessage } from '../util/errno.js';
import type { Tarball } from './tarballs.js';

/**
 * Streams an env tarball into `docker load`, calling `onBytes` with the bytes read so far, and
 * resolves with the id of `kawa/<env>:base` afterwards. A tarball that cannot be read or loaded
 * fails with KAWA_ERR_ENV_SYNC_FAILED naming it; an engine that does not answer keeps its own
 * KAWA_ERR_DOCKER_UNAVAILABLE.
 */
export async function loadTarball(
  engine: DockerEngine,
  env: string,
  tarball: Tarball,
  onBytes: (doneBytes: number) => void,
): Promise<string> {
  const fail = (why: string, cause?: unknown): KawaError =>
    new KawaError(
      'KAWA_ERR_ENV_SYNC_FAILED',
      `cannot load env ${env} from ${tarball.path}: ${why}. The tarball may be corrupt or cut short; ` +
        `run kawa docker tar create ${env} again`,
      { cause },
    );

  let doneBytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      doneBytes += chunk.length;
      onBytes(doneBytes);
      callback(null, chunk);
    },
  });
  // A read error destroys the upload too; remember it, or it would look like a lost engine.
  let readError: Error | null = null;
  // 1 MiB reads: a load is bulk I/O, and 64 KiB chunks cost measurable time on a 1 GB env.
  pipeline(createReadStream(tarball.path, { highWaterMark: 1 << 20 }), counted, (error) => {
    if (error) readError = error;
  });

  let loaded: string[];
  try {
    loaded = await engine.loadImage(counted, tarball.bytes);
  } catch (error) {
    if (readError !== null) throw fail(`reading it failed: ${errorMessage(readError)}`, readError);
    if (isKawaError(error) && error.code === 'KAWA_ERR_DOCKER_UNAVAILABLE') throw error;
    throw fail(isKawaError(error) ? error.message.replace(/^docker load: /, '') : errorMessage(error), error);
  }

  const tag = envImageTag(env);
  const id = await engine.imageId(tag);
  if (id !== null) return id;
  // The tarball holds one image under another name (saved by hand): it still is this env.
  const [only] = loaded;
  if (loaded.length === 1 && only !== undefined) {
    const [repo, version] = splitTag(tag);
    await engine.tagImage(only, repo, version);
    const tagged = await engine.imageId(tag);
    if (tagged !== null) return tagged;
  }
  throw fail(`it loaded ${loaded.join(', ') || 'nothing'}, not ${tag}`);
}

/** "kawa/x:base" → ["kawa/x", "base"]. */
function splitTag(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}
