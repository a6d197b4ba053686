/**
 * The wait before reconnect attempt `attempt` (0 for the first): exponential from `baseMs`,
 * capped at `maxMs`, with jitter over the upper half so runners that lost the host together
 * do not all come back in the same millisecond.
 */
export function reconnectDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
