import { KawaError } from '@kawa/protocol';
import type { Logger } from '../../logger.js';
import { taskLabels } from './container-options.js';
import type { ContainerCreateOptions, DockerEngine } from './docker-engine.js';
import { answeredStatus } from './engine-error.js';

/**
 * Creates a container under its Kawa name (`kawa-task-<id>`, `kawa-vps-<id>`). When the name is
 * taken by a container of this node, that one is left from an earlier run of this runner (a
 * crash, or a host whose ids started over): it goes, and the create is tried once more.
 * Another node's container is never touched.
 */
export async function createOwnedContainer(
  engine: DockerEngine,
  createOptions: ContainerCreateOptions & { name: string },
  nodeName: string,
  logger: Logger,
): Promise<string> {
  try {
    return await engine.createContainer(createOptions);
  } catch (error) {
    if (answeredStatus(error) !== 409) throw error;
    const { name } = createOptions;
    const existing = await engine.inspectContainer(name);
    const owner = existing?.labels[taskLabels.node];
    if (existing !== null && owner !== nodeName) {
      throw new KawaError(
        'KAWA_ERR_DOCKER_FAILED',
        `the container name ${name} is taken by ${owner === undefined ? 'a container Kawa did not make' : `a task of node ${owner}`} ` +
          'on the same Docker Engine; two Kawa clusters that share an engine must not reuse task ids',
        { cause: error },
      );
    }
    if (existing !== null) {
      logger.warn(`removing ${name}, left over from an earlier run of node ${nodeName}`);
      await engine.removeContainer(name);
    }
    return engine.createContainer(createOptions);
  }
}
