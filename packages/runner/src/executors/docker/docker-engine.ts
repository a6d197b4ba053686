import type { Duplex, Readable, Writable } from 'node:stream';
import Docker from 'dockerode';
import { KawaError } from '@kawa/protocol';
import {
  ContainerInspectSchema,
  ContainerListSchema,
  demuxLogText,
  ExecInspectSchema,
  parseAnswer,
  publishedPorts,
  networkAddresses,
  type PublishedPort,
} from './engine-answers.js';
import { answeredStatus, engineError, engineStatus } from './engine-error.js';
import { loadedImages, messageError, readEngineMessages, type EngineMessage } from './engine-messages.js';
import { postImageLoad } from './load-request.js';

export type ContainerCreateOptions = Docker.ContainerCreateOptions;

/** What the executor needs to know about a container's state. */
export interface ContainerState {
  running: boolean;
  paused: boolean;
  oomKilled: boolean;
  /** Between a crash and the restart its restart policy makes. */
  restarting: boolean;
  /** How often the engine restarted it after an exit (restart policy). */
  restartCount: number;
  exitCode: number;
  labels: Record<string, string>;
  /** Host bindings of each published container port (`22/tcp`); empty while it is stopped. */
  ports: Record<string, PublishedPort[]>;
  /**
   * The container's own addresses on its networks (the default bridge: `172.17.x.y`); empty
   * while it is stopped. Reachable from the node without the engine's userland port proxy.
   */
  addresses: string[];
}

/** A container as the engine lists it. */
export interface ContainerSummary {
  id: string;
  /** Without the leading slash. */
  name: string;
  /** `running`, `paused`, `exited`, `created`, `restarting`, … */
  state: string;
  labels: Record<string, string>;
}

/** Whether an exec still runs, and its exit code once it ended. */
export interface ExecState {
  running: boolean;
  exitCode: number | null;
}

/** A started `docker exec` with a TTY: `stream` carries stdin up and the TTY's output down. */
export interface ExecSession {
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  inspect(): Promise<ExecState>;
}

/** A container's output, attached before it starts. */
export interface OutputAttachment {
  /** Settles when the engine has sent the last byte (the container is gone) or the stream broke. */
  ended: Promise<void>;
  /** Stops reading: only for a container that never started. */
  detach(): void;
}

/**
 * The slice of the Docker Engine API the runner uses. Every method rejects with a KawaError:
 * KAWA_ERR_DOCKER_UNAVAILABLE when the engine does not answer, KAWA_ERR_DOCKER_FAILED when it
 * refuses. Tests wrap the real engine to hold or slow an operation.
 */
export interface DockerEngine {
  readonly socketPath: string;
  ping(): Promise<void>;
  /** The image's id (`sha256:…`), or null when the engine does not have it. */
  imageId(ref: string): Promise<string | null>;
  /** Points `repo:tag` at `image`. */
  tagImage(image: string, repo: string, tag: string): Promise<void>;
  /** `docker load` from a tar stream of `size` bytes; resolves with the names and ids it loaded. */
  loadImage(tarball: Readable, size: number): Promise<string[]>;
  /** `docker pull`; every progress line goes to `onMessage`. */
  pullImage(ref: string, onMessage: (message: EngineMessage) => void): Promise<void>;
  /** Resolves with the new container's id. */
  createContainer(options: ContainerCreateOptions): Promise<string>;
  /** Demultiplexes the container's stdout and stderr into the two streams, with backpressure. */
  attachOutput(id: string, stdout: Writable, stderr: Writable): Promise<OutputAttachment>;
  /**
   * Like attachOutput, but from the container's log (everything it printed since it started,
   * then what follows until it stops): for a container the runner attaches to after the start.
   */
  followLogs(id: string, stdout: Writable, stderr: Writable): Promise<OutputAttachment>;
  /** Every container (running or not) that carries all of `labels`. */
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  startContainer(id: string): Promise<void>;
  /**
   * Waits until a started container is not running (at once if it is stopped already); resolves
   * with its exit code. A container its restart policy is restarting counts as running.
   */
  waitContainer(id: string): Promise<number>;
  /** By id or name; null when the container does not exist. */
  inspectContainer(id: string): Promise<ContainerState | null>;
  killContainer(id: string): Promise<void>;
  /** `docker stop`: SIGTERM, then SIGKILL after `graceSeconds`. Marks it stopped for its restart policy. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  /** Removes the container by id or name (forcibly, so a running one goes too); a missing one is fine. */
  removeContainer(id: string): Promise<void>;
  /** The last `lines` lines of a non-TTY container's stdout and stderr, interleaved. */
  logTail(id: string, lines: number): Promise<string>;
  /** Whether `path` exists in the container's filesystem (it need not be running). */
  pathExists(id: string, path: string): Promise<boolean>;
  /** Extracts a tar archive into the container at `path` (it need not be running). */
  putArchive(id: string, path: string, archive: Buffer): Promise<void>;
  /** Starts `command` with a TTY in a running container, with `env` added to the container's. */
  exec(id: string, command: string[], env: string[]): Promise<ExecSession>;
}

/**
 * How long a short call (inspect, create, kill, …) may take. An engine that accepts the
 * connection but never answers would otherwise hold a task forever. Generous, because on a
 * busy two-core node twenty concurrent creates take seconds.
 */
const CALL_TIMEOUT_MS = 120_000;
/** A ping only tells whether the engine is there: a healthy one answers in milliseconds. */
const PING_TIMEOUT_MS = 5_000;

/** The real engine through dockerode on a Unix socket (config `[runner] docker_socket`). */
export function createDockerEngine(socketPath: string): DockerEngine {
  const docker = new Docker({ socketPath });
  /** Long calls (load, pull, wait, attach) take as long as they take; short ones are bounded. */
  const call = async <T>(what: string, operation: () => Promise<T>, bounded = true): Promise<T> => {
    try {
      return bounded ? await withTimeout(operation(), CALL_TIMEOUT_MS) : await operation();
    } catch (error) {
      throw engineError(error, what, socketPath);
    }
  };
  /** Like call, but a 404 (no such image or container) is null rather than an error. */
  const orMissing = async <T>(what: string, operation: () => Promise<T>): Promise<T | null> => {
    try {
      return await withTimeout(operation(), CALL_TIMEOUT_MS);
    } catch (error) {
      if (engineStatus(error) === 404) return null;
      throw engineError(error, what, socketPath);
    }
  };

  /** A short call on one container whose answer carries nothing the runner needs. */
  const onContainer =
    (what: string, operation: (container: Docker.Container) => Promise<unknown>) =>
    (id: string): Promise<void> =>
      call(what, () => operation(docker.getContainer(id)).then(() => undefined));

  return {
    socketPath,
    ping: () => call('ping', () => withTimeout(docker.ping(), PING_TIMEOUT_MS).then(() => undefined)),

    imageId: (ref) => orMissing(`inspecting image ${ref}`, async () => (await docker.getImage(ref).inspect()).Id),

    tagImage: (image, repo, tag) =>
      call(`tagging ${image} as ${repo}:${tag}`, () =>
        docker
          .getImage(image)
          .tag({ repo, tag })
          .then(() => undefined),
      ),

    loadImage: (tarball, size) =>
      call(
        'docker load',
        async () => {
          const messages: EngineMessage[] = [];
          const answer = await postImageLoad(socketPath, tarball, size);
          await readEngineMessages(answer, (message) => messages.push(message));
          const failure = messages.map(messageError).find((text) => text !== null);
          // The engine answered 200 and reported the failure inside the stream.
          if (failure !== undefined && failure !== null)
            throw new KawaError('KAWA_ERR_DOCKER_FAILED', `docker load: ${failure}`);
          return loadedImages(messages);
        },
        false,
      ),

    pullImage: (ref, onMessage) =>
      call(
        `docker pull ${ref}`,
        async () => {
          const answer = await docker.pull(ref);
          const failures: string[] = [];
          await readEngineMessages(answer, (message) => {
            const failure = messageError(message);
            if (failure !== null) failures.push(failure);
            onMessage(message);
          });
          if (failures.length > 0)
            throw new KawaError('KAWA_ERR_DOCKER_FAILED', `docker pull ${ref}: ${failures.join('; ')}`);
        },
        false,
      ),

    createContainer: (options) =>
      call('creating the container', async () => (await docker.createContainer({ ...options })).id),

    attachOutput: (id, stdout, stderr) =>
      call('attaching to the container', async () => {
        const stream = (await docker
          .getContainer(id)
          .attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
        return demuxWithBackpressure(docker, stream, stdout, stderr);
      }),

    followLogs: (id, stdout, stderr) =>
      call('following the container log', async () => {
        const stream = (await docker
          .getContainer(id)
          .logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable;
        return demuxWithBackpressure(docker, stream, stdout, stderr);
      }),

    listContainers: (labels) =>
      call('listing containers', async () => {
        const label = Object.entries(labels).map(([name, value]) => `${name}=${value}`);
        const answer = parseAnswer(
          ContainerListSchema,
          await docker.listContainers({ all: true, filters: { label } }),
          'container list answer',
        );
        return answer.map((entry) => ({
          id: entry.Id,
          name: (entry.Names[0] ?? '').replace(/^\//, ''),
          state: entry.State,
          labels: entry.Labels ?? {},
        }));
      }),

    startContainer: onContainer('starting the container', (container) => container.start()),

    waitContainer: (id) =>
      call(
        'waiting for the container',
        async () => {
          const answer = (await docker.getContainer(id).wait()) as { StatusCode?: unknown };
          return typeof answer.StatusCode === 'number' ? answer.StatusCode : -1;
        },
        false,
      ),

    inspectContainer: (id) =>
      orMissing('inspecting the container', async () => {
        const answer = parseAnswer(
          ContainerInspectSchema,
          await docker.getContainer(id).inspect(),
          'container inspect answer',
        );
        const { State, Config } = answer;
        return {
          running: State.Running,
          paused: State.Paused,
          restarting: State.Restarting,
          restartCount: answer.RestartCount,
          oomKilled: State.OOMKilled,
          exitCode: State.ExitCode,
          labels: Config.Labels ?? {},
          ports: publishedPorts(answer.NetworkSettings?.Ports ?? null),
          addresses: networkAddresses(answer.NetworkSettings?.Networks ?? null),
        };
      }),

    killContainer: onContainer('killing the container', (container) => container.kill()),
    stopContainer: (id, graceSeconds) =>
      // The engine answers once the container is down: within the grace plus the kill, well
      // inside the call timeout for the few seconds the runner grants.
      call('stopping the container', () => docker.getContainer(id).stop({ t: graceSeconds })).then(
        () => undefined,
        (error: unknown) => {
          // 304: it was already stopped, which is what was asked for.
          if (answeredStatus(error) !== 304) throw error;
        },
      ),
    pauseContainer: onContainer('pausing the container', (container) => container.pause()),
    unpauseContainer: onContainer('resuming the container', (container) => container.unpause()),

    removeContainer: async (id) => {
      await orMissing('removing the container', () =>
        docker
          .getContainer(id)
          .remove({ force: true })
          .then(() => true),
      );
    },

    logTail: (id, lines) =>
      call('reading the container log', async () =>
        demuxLogText(await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })),
      ),

    pathExists: (id, path) =>
      call(`looking for ${path} in the container`, async () => {
        // HEAD /containers/…/archive: 200 when the path exists, 404 when it does not.
        try {
          const answer = (await docker.getContainer(id).infoArchive({ path })) as { resume?: () => void } | null;
          answer?.resume?.();
          return true;
        } catch (error) {
          if (engineStatus(error) === 404 && (await containerExists(docker, id))) return false;
          throw error;
        }
      }),

    putArchive: (id, path, archive) =>
      call(`copying files to ${path} in the container`, async () => {
        const answer = (await docker.getContainer(id).putArchive(archive, { path })) as { resume?: () => void } | null;
        answer?.resume?.();
      }),

    exec: (id, command, env) =>
      call('starting a command in the container', async () => {
        const exec = await docker.getContainer(id).exec({
          Cmd: command,
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
            call('resizing the TTY', () => exec.resize({ w: cols, h: rows }).then(() => undefined)),
          inspect: () =>
            call('inspecting the command', async () => {
              const answer = parseAnswer(ExecInspectSchema, await exec.inspect(), 'exec inspect answer');
              return { running: answer.Running, exitCode: answer.ExitCode };
            }),
        };
      }),
  };
}

/** Tells "no such path" from "no such container": both are a 404 of the archive call. */
async function containerExists(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch (error) {
    if (engineStatus(error) === 404) return false;
    throw error;
  }
}

/** Rejects with a TimeoutError when `promise` has not settled within `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Demultiplexes a non-TTY container's output stream into stdout and stderr. */
function demuxWithBackpressure(docker: Docker, stream: Readable, stdout: Writable, stderr: Writable): OutputAttachment {
  docker.modem.demuxStream(stream, stdout, stderr);
  // demuxStream ignores write()'s answer: pause the engine's stream while a log file lags,
  // so a task printing faster than the disk takes it cannot fill the runner's memory.
  // A file that failed (and was destroyed) never drains: it no longer holds anything up.
  const lagging = (out: Writable): boolean => out.writableNeedDrain && !out.destroyed;
  const relieve = (): void => {
    if (!lagging(stdout) && !lagging(stderr)) stream.resume();
  };
  for (const out of [stdout, stderr]) {
    out.on('drain', relieve);
    out.on('close', relieve);
  }
  stream.on('data', () => {
    if (lagging(stdout) || lagging(stderr)) stream.pause();
  });
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  return { ended, detach: () => stream.destroy() };
}
