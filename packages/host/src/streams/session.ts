import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import { KawaError, isKawaError } from '@kawa/protocol';
import type { RunnerGateway } from '../runner-gateway/gateway.js';
import { newStreamId, type StreamBroker } from './broker.js';
import { closeCodeOf, closeReason } from './close-codes.js';
import { asBuffer, errorFrame, type StreamFrame } from './frames.js';
import { relay, type Relay } from './relay.js';
import type { StreamTarget } from './target.js';

/**
 * What the client sends before the runner joins (an SSH client speaks first) is kept; past
 * this much the host stops reading the client until the relay runs (TCP then slows it down).
 */
const MAX_EARLY_BYTES = 1 << 20;

export interface SessionDeps {
  broker: StreamBroker;
  gateway: RunnerGateway;
  log: FastifyBaseLogger;
  /** How long the runner has to dial back after `stream-open`. */
  openTimeoutMs: number;
  pingMs: number;
  /** Aborts when the host shuts down: the stream closes with 1001. */
  shutdown: AbortSignal;
  /** Records a relay under its task while it runs; returns the way to forget it. */
  track(taskId: number, relay: Relay): () => void;
}

/**
 * One client stream after its upgrade: asks the task's runner for a reverse stream, keeps what
 * the client sends meanwhile, and relays once the runner dialled back. A runner that refuses,
 * does not dial back in time or whose link drops fails the client with an `error` frame and a
 * 4000 + status close (4504 for KAWA_ERR_RUNNER_TIMEOUT).
 */
export function runStreamSession(client: WebSocket, target: StreamTarget, deps: SessionDeps): void {
  const streamId = newStreamId();
  const early: StreamFrame[] = [];
  let earlyBytes = 0;
  let waiting = true;
  let active: Relay | null = null;

  const stopWaiting = (): void => {
    waiting = false;
    deps.broker.cancel(streamId);
    client.off('message', onEarly);
  };
  const refuse = (error: KawaError): void => {
    if (!waiting) return;
    stopWaiting();
    if (client.readyState !== client.OPEN) return;
    client.send(errorFrame(error));
    client.close(closeCodeOf(error), closeReason(error.message));
  };
  const onEarly = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
    const frame = { data: asBuffer(data), isBinary };
    earlyBytes += frame.data.length;
    early.push(frame);
    if (earlyBytes >= MAX_EARLY_BYTES && !client.isPaused) client.pause();
  };
  const onShutdown = (): void => {
    const going = { code: 1001, reason: 'the host is shutting down' };
    if (active) active.end({ client: going, runner: going });
    else if (waiting) {
      stopWaiting();
      client.close(1001, 'the host is shutting down');
    }
  };

  client.on('message', onEarly);
  client.on('close', () => {
    if (waiting) stopWaiting();
    deps.shutdown.removeEventListener('abort', onShutdown);
  });
  deps.shutdown.addEventListener('abort', onShutdown, { once: true });

  const joined = (runner: WebSocket): void => {
    waiting = false;
    client.off('message', onEarly);
    if (client.readyState !== client.OPEN) {
      runner.close(1001, 'the client left');
      return;
    }
    let ended = false;
    let untrack = (): void => undefined;
    active = relay(client, runner, early.splice(0), {
      kind: target.kind,
      node: target.node,
      log: deps.log,
      pingMs: deps.pingMs,
      onEnd: () => {
        ended = true;
        untrack();
      },
    });
    // An early frame may already have ended it.
    if (!ended) untrack = deps.track(target.taskId, active);
  };
  deps.broker.expect(streamId, { joined, failed: refuse }, deps.openTimeoutMs, target.node);

  const { kind, taskId, cols, rows, command } = target;
  deps.gateway.openStream(target.node, { streamId, taskId, kind, cols, rows, command }, deps.openTimeoutMs).then(
    (result) => {
      if (result.ok) return;
      const message = result.error?.message ?? `node ${target.node} could not open the stream`;
      deps.broker.fail(streamId, new KawaError(result.error?.code ?? 'KAWA_ERR_INTERNAL', message));
    },
    (error: unknown) => {
      if (!isKawaError(error)) deps.log.error({ err: error }, 'stream-open failed');
      const known = isKawaError(error) ? error : new KawaError('KAWA_ERR_INTERNAL', 'internal error in the host');
      deps.broker.fail(streamId, known);
    },
  );
}
