import { isKawaError, KawaError, type SyncProgress } from '@kawa/protocol';
import type { DockerEngine } from '../executors/docker/docker-engine.js';
import type { EngineMessage } from '../executors/docker/engine-messages.js';
import { errorMessage } from '../util/errno.js';

/**
 * Pulls a registry image, reporting the bytes downloaded over all layers, and resolves with its
 * id. A pull that fails (no registry, no such image) is KAWA_ERR_ENV_SYNC_FAILED.
 */
export async function pullImage(
  engine: DockerEngine,
  image: string,
  onProgress: (progress: SyncProgress) => void,
): Promise<string> {
  const fail = (why: string, cause?: unknown): KawaError =>
    new KawaError(
      'KAWA_ERR_ENV_SYNC_FAILED',
      `cannot pull image ${image}: ${why}; check that the node reaches its registry, or use an env (--container)`,
      { cause },
    );
  const layers = new Map<string, { current: number; total: number | null }>();
  const onMessage = (message: EngineMessage): void => {
    const detail = message.progressDetail;
    if (message.id === undefined || detail === undefined) return;
    if (message.status === 'Downloading' && detail.current !== undefined) {
      layers.set(message.id, { current: detail.current, total: detail.total ?? null });
    } else if (message.status === 'Download complete' || message.status === 'Already exists') {
      const layer = layers.get(message.id);
      if (layer !== undefined) layer.current = layer.total ?? layer.current;
    } else {
      return;
    }
    onProgress(layerProgress(image, layers));
  };
  try {
    await engine.pullImage(image, onMessage);
  } catch (error) {
    if (isKawaError(error) && error.code === 'KAWA_ERR_DOCKER_UNAVAILABLE') throw error;
    throw fail(isKawaError(error) ? error.message.replace(/^docker pull \S+: /, '') : errorMessage(error), error);
  }
  const id = await engine.imageId(image);
  if (id === null) throw fail('the engine reported success but does not have the image');
  return id;
}

/** Bytes over all layers seen so far; the total is unknown until every layer has told its size. */
function layerProgress(
  image: string,
  layers: ReadonlyMap<string, { current: number; total: number | null }>,
): SyncProgress {
  let doneBytes = 0;
  let totalBytes: number | null = 0;
  for (const layer of layers.values()) {
    doneBytes += layer.current;
    totalBytes = layer.total === null || totalBytes === null ? null : totalBytes + layer.total;
  }
  return { what: image, phase: 'pulling', doneBytes: Math.round(doneBytes), totalBytes };
}
