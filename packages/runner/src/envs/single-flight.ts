import type { SyncProgress } from '@kawa/protocol';

/** One task waiting on a flight. */
export interface FlightWatcher<Begin> {
  /** The flight reached its slow part (a load, a pull). `leader`: this task started the flight. */
  began(begin: Begin, leader: boolean): void;
  progress(progress: SyncProgress): void;
}

/** What a flight's work uses to tell every watcher how far it has got. */
export interface FlightReporter<Begin> {
  begin(begin: Begin): void;
  progress(progress: SyncProgress): void;
}

interface Flight<Begin, T> {
  promise: Promise<T>;
  /** Each watcher, and whether it leads. */
  watchers: Map<FlightWatcher<Begin>, boolean>;
  begun: Begin | null;
  last: SyncProgress | null;
}

export interface SingleFlight<Begin, T> {
  /**
   * Runs `work` for `key` unless a run for it is in flight, in which case the caller waits on
   * that one. A late joiner hears the current stage and progress at once. An aborted `signal`
   * rejects this caller with the signal's reason and stops its reports; the work goes on for
   * the others (and for whoever comes next).
   */
  join(
    key: string,
    work: (reporter: FlightReporter<Begin>) => Promise<T>,
    watcher: FlightWatcher<Begin>,
    signal: AbortSignal,
  ): Promise<T>;
  /** Keys with a run in flight. */
  inFlight(): string[];
}

/** Single-flight per key: N callers for a cold env cause one load. */
export function createSingleFlight<Begin, T>(): SingleFlight<Begin, T> {
  const flights = new Map<string, Flight<Begin, T>>();

  function launch(key: string, work: (reporter: FlightReporter<Begin>) => Promise<T>): Flight<Begin, T> {
    const flight: Flight<Begin, T> = {
      promise: Promise.resolve() as Promise<T>,
      watchers: new Map(),
      begun: null,
      last: null,
    };
    const reporter: FlightReporter<Begin> = {
      begin(begin) {
        flight.begun = begin;
        for (const [watcher, leader] of flight.watchers) watcher.began(begin, leader);
      },
      progress(progress) {
        flight.last = progress;
        for (const watcher of flight.watchers.keys()) watcher.progress(progress);
      },
    };
    // Deferred a tick, so the leader is registered before the work reports anything.
    flight.promise = Promise.resolve()
      .then(() => work(reporter))
      .finally(() => {
        if (flights.get(key) === flight) flights.delete(key);
      });
    // Every watcher may have been aborted; the failure still must not be an unhandled rejection.
    flight.promise.catch(() => {});
    flights.set(key, flight);
    return flight;
  }

  return {
    join(key, work, watcher, signal) {
      const existing = flights.get(key);
      const flight = existing ?? launch(key, work);
      const leader = existing === undefined;
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      flight.watchers.set(watcher, leader);
      if (flight.begun !== null) {
        watcher.began(flight.begun, leader);
        if (flight.last !== null) watcher.progress(flight.last);
      }
      return new Promise<T>((resolve, reject) => {
        const leave = (): void => {
          flight.watchers.delete(watcher);
          signal.removeEventListener('abort', onAbort);
        };
        const onAbort = (): void => {
          leave();
          reject(signal.reason as Error);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        flight.promise.then(
          (value) => {
            leave();
            resolve(value);
          },
          (error: Error) => {
            leave();
            reject(error);
          },
        );
      });
    },
    inFlight: () => [...flights.keys()],
  };
}
