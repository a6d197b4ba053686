import {
  HostContainerStateSchema,
  KawaError,
  envContainerName,
  envNameProblem,
  type HostContainer,
} from '@kawa/protocol';
import type { ContainerSummary, DockerEngine } from './engine.js';

/** The label that marks a container as an env's host container; its value is the env name. */
export const ENV_LABEL = 'kawa.env';

/** The env a labelled container belongs to, or null when its name and label disagree. */
function toHostContainer(container: ContainerSummary): HostContainer | null {
  const name = container.labels[ENV_LABEL];
  if (name === undefined || envNameProblem(name) !== null || container.name !== envContainerName(name)) return null;
  const state = HostContainerStateSchema.safeParse(container.state);
  return {
    name,
    containerId: container.id,
    image: container.image,
    // Docker adds states now and then; an unknown one reads as dead rather than failing the list.
    state: state.success ? state.data : 'dead',
    statusText: container.statusText,
    createdAt: container.createdAt,
  };
}

/**
 * The persistent containers `kawa-env-NAME` that envs are prepared in. Only containers that
 * carry the `kawa.env` label are Kawa's: a same-named container someone else made is left alone.
 */
export class HostContainers {
  constructor(
    private readonly engine: DockerEngine,
    /** How long `stop` lets the command end before Docker kills it. */
    private readonly stopTimeoutSeconds: number,
  ) {}

  async list(): Promise<HostContainer[]> {
    const containers = await this.engine.listContainers(ENV_LABEL);
    return containers
      .map(toHostContainer)
      .filter((container): container is HostContainer => container !== null)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async find(name: string): Promise<HostContainer | null> {
    const containers = await this.engine.listContainers(`${ENV_LABEL}=${name}`);
    return containers.map(toHostContainer).find((container) => container?.name === name) ?? null;
  }

  /** The env's host container, or 404 CONTAINER_NOT_FOUND. */
  async get(name: string): Promise<HostContainer> {
    const container = await this.find(name);
    if (!container) {
      throw new KawaError(
        'KAWA_ERR_CONTAINER_NOT_FOUND',
        `env "${name}" has no host container ${envContainerName(name)}: create it with kawa docker container create IMAGE ${name}`,
      );
    }
    return container;
  }

  /**
   * Creates and starts `kawa-env-NAME` from a locally present image. Kawa never pulls here: a
   * missing image is a 404 that says how to get it.
   */
  async create(image: string, name: string): Promise<HostContainer> {
    const found = await this.engine.inspectImage(image);
    if (!found) {
      throw new KawaError(
        'KAWA_ERR_IMAGE_NOT_FOUND',
        `image ${image} is not present locally, and Kawa never pulls for envs: run docker pull ${image} (or docker load) on the host first`,
      );
    }
    if (await this.find(name)) {
      throw new KawaError(
        'KAWA_ERR_CONTAINER_EXISTS',
        `env "${name}" already has a host container ${envContainerName(name)}`,
      );
    }
    const containerName = envContainerName(name);
    // An image that names nothing to run would exit at once; a shell on the open TTY keeps it
    // up. With an entrypoint, a Cmd would become its arguments, so it is left alone.
    await this.engine.createContainer({
      name: containerName,
      image,
      cmd: found.hasCommand ? null : ['/bin/sh'],
      labels: { [ENV_LABEL]: name },
    });
    try {
      await this.engine.startContainer(containerName);
    } catch (error) {
      // A container that never started is useless and would block a retry with CONTAINER_EXISTS.
      await this.engine.removeContainer(containerName).catch(() => undefined);
      throw error;
    }
    return this.get(name);
  }

  async start(name: string): Promise<HostContainer> {
    await this.get(name);
    await this.engine.startContainer(envContainerName(name));
    return this.get(name);
  }

  async stop(name: string): Promise<HostContainer> {
    await this.get(name);
    await this.engine.stopContainer(envContainerName(name), this.stopTimeoutSeconds);
    return this.get(name);
  }

  /** Removes the container whatever its state; tarballs already made stay. */
  async remove(name: string): Promise<{ name: string }> {
    await this.get(name);
    await this.engine.removeContainer(envContainerName(name));
    return { name };
  }
}
