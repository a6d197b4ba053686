/** The host's one source of time, in milliseconds since the epoch; tests pass their own. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
