import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import { KawaError, isKawaError } from '@kawa/protocol';
import type { RunnerGateway } from '../runner-gateway/gateway.js';
import { newStreamId, type StreamBroker } from './broker.js';
import { closeCodeOf, closeReason } from './close-codes.js';
import { errorFrame } from './frames.js';
import { HeldFrames } from './held-frames.js';
import { relay, type Relay } from './relay.js';
import type { StreamTarget } from './target.js';

export interface SessionDeps {
  broker: StreamBroker;
  gateway: RunnerGateway;
  log: FastifyBaseLogger;
  /** How long the runner has to dial back and answer after `stream-open`. */
  openTimeoutMs: number;
  pingMs: number;
  /** Aborts when the host shuts down: the stream closes with 1001. */
  shutdown: AbortSignal;
  /** Records a relay under its task while it runs; returns the way to forget it. */
  track(taskId: number, relay: Relay): () => void;
}

const GOING_AWAY = { code: 1001, reason: 'the host is shutting down' };

/**
 * One client stream after its upgrade: asks the task's runner for a reverse stream and relays
 * once the runner has both dialled back and answered ok (then its end is listening, so nothing
 * sent to it is lost); what either side says meanwhile is held. A runner that refuses, does not
 * dial back or answer in time, or whose link drops fails the client with an `error` frame and
 * a 4000 + status close (4504 for KAWA_ERR_RUNNER_TIMEOUT).
 */
export function runStreamSession(client: WebSocket, target: StreamTarget, deps: SessionDeps): void {
  const streamId = newStreamId();
  const heldFromClient = new HeldFrames(client);
  let runner: { socket: WebSocket; held: HeldFrames } | null = null;
  let answered = false;
  let phase: 'opening' | 'relaying' | 'over' = 'opening';
  let active: Relay | null = null;

  /** Ends a stream that never started: the client gets `error` (when given) and the close. */
  const abandon = (code: number, reason: string, error?: KawaError): void => {
    if (phase !== 'opening') return;
    phase = 'over';
    deps.broker.cancel(streamId);
    heldFromClient.release();
    runner?.socket.close(1001, 'the host gave up on the stream');
    if (client.readyState !== client.OPEN) return;
    if (error) client.send(errorFrame(error));
    client.close(code, closeReason(reason));
  };
  const fail = (error: KawaError): void => abandon(closeCodeOf(error), error.message, error);
  const start = (): void => {
    if (phase !== 'opening' || runner === null || !answered) return;
    phase = 'relaying';
    let ended = false;
    let untrack = (): void => undefined;
    const held = { client: heldFromClient.release(), runner: runner.held.release() };
    active = relay(client, runner.socket, held, {
      kind: target.kind,
      node: target.node,
      log: deps.log,
      pingMs: deps.pingMs,
      onEnd: () => {
        ended = true;
        untrack();
      },
    });
    // A held frame may already have ended it.
    if (!ended) untrack = deps.track(target.taskId, active);
  };

  const onShutdown = (): void => {
    if (active) active.end({ client: GOING_AWAY, runner: GOING_AWAY });
    else abandon(GOING_AWAY.code, GOING_AWAY.reason);
  };
  deps.shutdown.addEventListener('abort', onShutdown, { once: true });
  client.on('close', () => {
    deps.shutdown.removeEventListener('abort', onShutdown);
    if (phase !== 'opening') return;
    phase = 'over';
    deps.broker.cancel(streamId);
    runner?.socket.close(1001, 'the client left');
  });

  const joined = (socket: WebSocket): void => {
    if (phase !== 'opening') {
      socket.close(1001, 'the client left');
      return;
    }
    runner = { socket, held: new HeldFrames(socket) };
    socket.on('close', () => {
      fail(new KawaError('KAWA_ERR_RUNNER_UNAVAILABLE', `node ${target.node} closed the stream before it was ready`));
    });
    start();
  };
  deps.broker.expect(streamId, { joined, failed: fail }, deps.openTimeoutMs, target.node);

  openOnRunner(target, streamId, false, deps, {
    answered: () => {
      answered = true;
      start();
    },
    failed: fail,
  });
}

/**
 * Sends `stream-open` for `target` to its runner and reports the answer: `answered` once the
 * runner says ok, `failed` with its coded refusal, or with the link's failure.
 */
export function openOnRunner(
  target: StreamTarget,
  streamId: string,
  raw: boolean,
  deps: Pick<SessionDeps, 'gateway' | 'log' | 'openTimeoutMs'>,
  outcome: { answered(): void; failed(error: KawaError): void },
): void {
  const { kind, taskId, cols, rows, command } = target;
  deps.gateway.openStream(target.node, { streamId, taskId, kind, cols, rows, command, raw }, deps.openTimeoutMs).then(
    (result) => {
      if (result.ok) return outcome.answered();
      const message = result.error?.message ?? `node ${target.node} could not open the stream`;
      outcome.failed(new KawaError(result.error?.code ?? 'KAWA_ERR_INTERNAL', message));
    },
    (error: unknown) => {
      if (!isKawaError(error)) deps.log.error({ err: error }, 'stream-open failed');
      outcome.failed(isKawaError(error) ? error : new KawaError('KAWA_ERR_INTERNAL', 'internal error in the host'));
    },
  );
}
