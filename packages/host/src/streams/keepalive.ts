import type { WebSocket } from '@fastify/websocket';

/**
 * Pings `sockets` every `pingMs` and cuts one that did not answer the previous ping, so a
 * dead peer is noticed although an SSH session may be silent for hours (there is no idle
 * timeout). A socket the relay paused cannot read its pong, so it is skipped while paused.
 * Returns the function that stops pinging.
 */
export function keepAlive(sockets: readonly WebSocket[], pingMs: number): () => void {
  const answered = new Map(sockets.map((socket) => [socket, true]));
  for (const socket of sockets) {
    const alive = (): void => {
      answered.set(socket, true);
    };
    socket.on('pong', alive);
    socket.on('message', alive);
  }
  const timer = setInterval(() => {
    for (const socket of sockets) {
      if (socket.readyState !== socket.OPEN || socket.isPaused) continue;
      if (!answered.get(socket)) {
        socket.terminate();
        continue;
      }
      answered.set(socket, false);
      socket.ping();
    }
  }, pingMs);
  timer.unref();
  return () => clearInterval(timer);
}
