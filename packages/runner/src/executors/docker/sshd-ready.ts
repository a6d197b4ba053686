import { connect } from 'node:net';
import { KawaError } from '@kawa/protocol';
import { sleep } from '../../util/sleep.js';
import type { ContainerState, DockerEngine } from './docker-engine.js';
import { SSH_HOST_IP, SSH_PORT } from './vps-options.js';

/** sshd's port inside the container (`SSH_PORT` without its protocol). */
const CONTAINER_SSH_PORT = 22;

/** An address and port where the runner can reach a VPS's sshd. */
export interface SshEndpoint {
  host: string;
  port: number;
}

/** The node port where the VPS's sshd is published on loopback, or null while it has none. */
export function loopbackSshPort(state: ContainerState): number | null {
  return state.ports[SSH_PORT]?.find((binding) => binding.hostIp === SSH_HOST_IP)?.hostPort ?? null;
}

/**
 * Where the runner reaches the VPS's sshd, best first. The container's own address comes
 * first: bytes then go straight into the container's network namespace, without the engine's
 * userland proxy (a process copying every byte, which costs a third of SSH throughput on a
 * two-core node), and it also works for a runner in a network namespace of its own that has
 * a route to the bridge. The port published on loopback is the fallback (a container on a
 * network the node cannot route to). Empty while the container is stopped.
 */
export function sshEndpoints(state: ContainerState): SshEndpoint[] {
  const port = loopbackSshPort(state);
  const published = port === null ? [] : [{ host: SSH_HOST_IP, port }];
  return [...state.addresses.map((host) => ({ host, port: CONTAINER_SSH_PORT })), ...published];
}

export interface SshdWait {
  /** The whole wait: sshd makes its host keys first, which takes a second or two on a slow node. */
  timeoutMs: number;
  pollMs: number;
  /** False once the VPS is stopped or killed: the wait ends at its next poll. */
  stillWanted: () => boolean;
}

/** Thrown when the wait ends because the VPS is no longer wanted. */
export class SshdWaitAbandoned extends Error {}

/** Lines of the container log a failed start quotes. */
const LOG_TAIL_LINES = 20;

/**
 * Waits until the VPS's sshd answers on one of its endpoints and resolves with that endpoint. A
 * TCP connect is not enough: the engine's proxy accepts on the published port before anything
 * listens inside. sshd speaks first (its `SSH-2.0-…` banner), so the banner is the proof.
 * Fails with the container log's last lines when the container exits (its restart policy
 * would restart it: a restart count above 0 counts as an exit) or the time runs out.
 */
export async function waitForSshd(engine: DockerEngine, containerId: string, wait: SshdWait): Promise<SshEndpoint> {
  const deadline = Date.now() + wait.timeoutMs;
  const rounds = Math.ceil(wait.timeoutMs / wait.pollMs) + 1;
  for (let round = 0; round < rounds && Date.now() < deadline; round += 1) {
    if (!wait.stillWanted()) throw new SshdWaitAbandoned();
    const state = await engine.inspectContainer(containerId);
    if (state === null) throw new KawaError('KAWA_ERR_DOCKER_FAILED', 'the container was removed while sshd started');
    if (!state.running || state.restarting || state.restartCount > 0)
      throw await sshdFailed(engine, containerId, `sshd exited (code ${state.exitCode})`);
    for (const endpoint of sshEndpoints(state))
      if (await bannerArrives(endpoint, Math.min(1000, Math.max(1, deadline - Date.now())))) return endpoint;
    await sleep(wait.pollMs);
  }
  throw await sshdFailed(engine, containerId, `sshd did not answer within ${Math.round(wait.timeoutMs / 1000)} s`);
}

async function sshdFailed(engine: DockerEngine, containerId: string, what: string): Promise<KawaError> {
  const tail = await engine.logTail(containerId, LOG_TAIL_LINES).catch(() => '');
  const log = tail.trim() === '' ? 'the container log is empty' : `the container log ends with:\n${tail.trimEnd()}`;
  return new KawaError('KAWA_ERR_SPAWN_FAILED', `${what}; ${log}`);
}

/** Whether an SSH banner arrives from `endpoint` (a bare port: on 127.0.0.1) within `timeoutMs`. */
export function bannerArrives(endpoint: SshEndpoint | number, timeoutMs: number): Promise<boolean> {
  const { host, port } = typeof endpoint === 'number' ? { host: SSH_HOST_IP, port: endpoint } : endpoint;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = '';
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.length >= 4) done(received.startsWith('SSH-'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}
