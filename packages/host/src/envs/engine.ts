import type { Duplex, Readable } from 'node:stream';
import Docker from 'dockerode';
import { KawaError } from '@kawa/protocol';
import {
  CommitAnswerSchema,
  ContainerListEntrySchema,
  ExecInspectSchema,
  ImageInspectSchema,
  parseAnswer,
} from './docker-answers.js';
import { toEngineError, type EngineFailure } from './engine-errors.js';

/** A container as the Engine lists it. */
export interface ContainerSummary {
  id: string;
  /** Without Docker's leading "/". */
  name: string;
  image: string;
  state: string;
  /** Docker's human status, for example "Up 3 minutes". */
  statusText: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  labels: Record<string, string>;
}

export interface ImageSummary {
  id: string;
  sizeBytes: number;
  /** Whether the image says what to run (a command or an entrypoint); if not, a container exits at once. */
  hasCommand: boolean;
}

export interface ContainerSpec {
  name: string;
  image: string;
  /** null keeps the image's own command. */
  cmd: string[] | null;
  labels: Record<string, string>;
}

/** A started `docker exec` with a TTY: `stream` carries stdin up and the TTY's output down. */
export interface ExecSession {
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Whether the command still runs, and its exit code once it ended. */
  inspect(): Promise<{ running: boolean; exitCode: number | null }>;
}

/**
 * The Docker Engine operations the host uses, in small typed calls. Every failure is a
 * KawaError: DOCKER_UNAVAILABLE, a NOT_FOUND or conflict code as fits the call, or DOCKER_FAILED.
 * It never pulls: envs are made from images already present.
 */
export interface DockerEngine {
  readonly socketPath: string;
  /** Containers, running or not, that carry `label` (`key` or `key=value`). */
  listContainers(label: string): Promise<ContainerSummary[]>;
  /** Creates a container that keeps a TTY and stdin open, like `docker create -it`. */
  createContainer(spec: ContainerSpec): Promise<void>;
  startContainer(name: string): Promise<void>;
  stopContainer(name: string, timeoutSeconds: number): Promise<void>;
  /** Removes the container, running or not (`docker rm -f`). */
  removeContainer(name: string): Promise<void>;
  /** `docker commit NAME repo:tag`; returns the new image id. */
  commitContainer(name: string, repo: string, tag: string): Promise<string>;
  /** Whether `path` exists inside the container. */
  pathExists(container: string, path: string): Promise<boolean>;
  /** The image, or null when it is not present locally. */
  inspectImage(ref: string): Promise<ImageSummary | null>;
  tagImage(ref: string, repo: string, tag: string): Promise<void>;
  /** `docker rmi REF` without force: an image a container still uses is refused (409). */
  removeImage(ref: string): Promise<void>;
  /** `docker save REF` as a stream; destroy it to stop early. */
  saveImage(ref: string): Promise<Readable>;
  /** Starts `cmd` in the container with a TTY and stdin attached. */
  exec(container: string, cmd: string[], env: string[]): Promise<ExecSession>;
}

const containerMissing = (name: string) => () =>
  new KawaError('KAWA_ERR_CONTAINER_NOT_FOUND', `Docker has no container ${name}`);
const imageMissing = (ref: string) => () =>
  new KawaError('KAWA_ERR_IMAGE_NOT_FOUND', `image ${ref} is not present locally`);
const notRunning = (name: string) => () =>
  new KawaError('KAWA_ERR_CONTAINER_NOT_RUNNING', `container ${name} is not running; start it first`);

/** Status 304 means "already so" for start and stop: not a failure. */
const isNotModified = (error: unknown): boolean => (error as { statusCode?: unknown }).statusCode === 304;

/** A DockerEngine on the Engine API at `socketPath`. Connecting is lazy: a missing Engine fails calls, not this. */
export function createDockerEngine(socketPath: string): DockerEngine {
  const docker = new Docker({ socketPath });

  async function call<T>(failure: EngineFailure, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw toEngineError(error, socketPath, failure);
    }
  }

  return {
    socketPath,

    listContainers: (label) =>
      call({ action: 'list containers' }, async () => {
        const answer: unknown = await docker.listContainers({ all: true, filters: { label: [label] } });
        return parseAnswer(ContainerListEntrySchema.array(), answer, 'container list').map((entry) => ({
          id: entry.Id,
          name: (entry.Names[0] ?? '').replace(/^\//, ''),
          image: entry.Image,
          state: entry.State,
          statusText: entry.Status,
          createdAt: Math.round(entry.Created * 1000),
          labels: entry.Labels ?? {},
        }));
      }),

    createContainer: (spec) =>
      call(
        {
          action: `create container ${spec.name}`,
          notFound: imageMissing(spec.image),
          conflict: () => new KawaError('KAWA_ERR_CONTAINER_EXISTS', `a container named ${spec.name} already exists`),
        },
        async () => {
          await docker.createContainer({
            name: spec.name,
            Image: spec.image,
            ...(spec.cmd ? { Cmd: spec.cmd } : {}),
            Labels: spec.labels,
            // What `docker run -itd` sets: a shell as the command waits on its TTY instead of exiting.
            Tty: true,
            OpenStdin: true,
            AttachStdin: false,
            AttachStdout: false,
            AttachStderr: false,
          });
        },
      ),

    startContainer: (name) =>
      call({ action: `start container ${name}`, notFound: containerMissing(name) }, async () => {
        await docker
          .getContainer(name)
          .start()
          .catch((error: unknown) => {
            if (!isNotModified(error)) throw error;
          });
      }),

    stopContainer: (name, timeoutSeconds) =>
      call({ action: `stop container ${name}`, notFound: containerMissing(name) }, async () => {
        await docker
          .getContainer(name)
          .stop({ t: timeoutSeconds })
          .catch((error: unknown) => {
            if (!isNotModified(error)) throw error;
          });
      }),

    removeContainer: (name) =>
      call({ action: `remove container ${name}`, notFound: containerMissing(name) }, async () => {
        await docker.getContainer(name).remove({ force: true });
      }),

    commitContainer: (name, repo, tag) =>
      call({ action: `commit container ${name}`, notFound: containerMissing(name) }, async () => {
        const answer: unknown = await docker.getContainer(name).commit({ repo, tag });
        return parseAnswer(CommitAnswerSchema, answer, 'commit answer').Id;
      }),

    pathExists: (container, path) =>
      call({ action: `look for ${path} in ${container}`, notFound: containerMissing(container) }, async () => {
        // HEAD /containers/…/archive: 200 when the path exists, 404 when it (or the container) does not.
        try {
          const answer = (await docker.getContainer(container).infoArchive({ path })) as { resume?: () => void };
          answer.resume?.();
          return true;
        } catch (error) {
          if ((error as { statusCode?: unknown }).statusCode === 404) return false;
          throw error;
        }
      }),

    inspectImage: (ref) =>
      call({ action: `inspect image ${ref}` }, async () => {
        let answer: unknown;
        try {
          answer = await docker.getImage(ref).inspect();
        } catch (error) {
          if ((error as { statusCode?: unknown }).statusCode === 404) return null;
          throw error;
        }
        const image = parseAnswer(ImageInspectSchema, answer, 'image inspect answer');
        const hasCommand = (image.Config?.Cmd ?? []).length > 0 || (image.Config?.Entrypoint ?? []).length > 0;
        return { id: image.Id, sizeBytes: image.Size, hasCommand };
      }),

    tagImage: (ref, repo, tag) =>
      call({ action: `tag image ${ref} as ${repo}:${tag}`, notFound: imageMissing(ref) }, async () => {
        await docker.getImage(ref).tag({ repo, tag });
      }),

    removeImage: (ref) =>
      call({ action: `remove image ${ref}`, notFound: imageMissing(ref) }, async () => {
        await docker.getImage(ref).remove();
      }),

    saveImage: (ref) =>
      call({ action: `save image ${ref}`, notFound: imageMissing(ref) }, async () => {
        return (await docker.getImage(ref).get()) as Readable;
      }),

    exec: (container, cmd, env) =>
      call(
        { action: `exec in ${container}`, notFound: containerMissing(container), conflict: notRunning(container) },
        async () => {
          const exec = await docker.getContainer(container).exec({
            Cmd: cmd,
            Env: env,
            Tty: true,
            AttachStdin: true,
            AttachStdout: true,
            AttachStderr: true,
          });
          const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
          return {
            stream,
            resize: (cols, rows) =>
              call({ action: `resize the TTY in ${container}` }, async () => {
                await exec.resize({ w: cols, h: rows });
              }),
            inspect: () =>
              call({ action: `inspect an exec in ${container}` }, async () => {
                const answer = parseAnswer(ExecInspectSchema, await exec.inspect(), 'exec inspect answer');
                return { running: answer.Running, exitCode: answer.ExitCode };
              }),
          };
        },
      ),
  };
}
