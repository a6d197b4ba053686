import { KawaError, type TaskSpec } from '@kawa/protocol';
import { buildContainerOptions, type ContainerContext } from './container-options.js';
import type { ContainerCreateOptions } from './docker-engine.js';

/** `kawa-vps-<id>`: the VPS's container, recreated from the same env and key on restart. */
export const vpsContainerName = (taskId: number): string => `kawa-vps-${taskId}`;

/** The container port sshd listens on, as the engine names it in PortBindings and inspect. */
export const SSH_PORT = '22/tcp';
/** Where OpenSSH's server lives in every distribution Kawa expects; checked before the start. */
export const SSHD_PATH = '/usr/sbin/sshd';
/** Published on the node's loopback only: the host reaches it through the runner's reverse stream. */
export const SSH_HOST_IP = '127.0.0.1';

/**
 * The VPS's one process: host keys made at its first start (each VPS gets its own), the
 * privilege-separation dir, then sshd in the foreground, logging to stderr (the container log,
 * which a failed start quotes). Key login only, whatever the image's sshd_config says: the
 * command-line options override the file, and AuthenticationMethods rules out every other
 * method. A fixed string of Kawa's own, so running it through a shell passes no user input.
 */
export const SSHD_SCRIPT = [
  'ssh-keygen -A >/dev/null',
  'mkdir -p /run/sshd',
  `exec ${SSHD_PATH} -D -e` +
    ' -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no' +
    ' -o PermitRootLogin=prohibit-password -o AuthenticationMethods=publickey',
].join(' && ');

/**
 * The create options of a VPS container: the same limits, cpuset, GPUs, mounts, env and labels
 * as a task (buildContainerOptions), then what makes it a VPS. It restarts unless stopped, its
 * command is sshd (the task's argv is not run), and port 22 is published on loopback at an
 * ephemeral port the runner reads back from inspect.
 */
export function buildVpsContainerOptions(
  spec: TaskSpec,
  context: ContainerContext,
): ContainerCreateOptions & { name: string } {
  if (spec.privateNetwork) {
    // With no network, the published port would lead nowhere; the host never asks for this.
    throw new KawaError(
      'KAWA_ERR_BAD_REQUEST',
      `VPS ${spec.id} cannot have a private network: SSH reaches it over one`,
    );
  }
  const base = buildContainerOptions(spec, context);
  return {
    ...base,
    name: vpsContainerName(spec.id),
    // The entrypoint too, so an image's own ENTRYPOINT cannot wrap or replace sshd.
    Entrypoint: ['/bin/sh', '-c', SSHD_SCRIPT],
    Cmd: [],
    // Nobody reads a VPS's output as it runs; the engine keeps it for `docker logs`.
    AttachStdout: false,
    AttachStderr: false,
    ExposedPorts: { [SSH_PORT]: {} },
    HostConfig: {
      ...base.HostConfig,
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      // HostPort '' asks the engine for a free ephemeral port.
      PortBindings: { [SSH_PORT]: [{ HostIp: SSH_HOST_IP, HostPort: '' }] },
    },
  };
}
