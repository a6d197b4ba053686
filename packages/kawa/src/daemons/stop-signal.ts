/**
 * An AbortSignal that fires on the first SIGINT or SIGTERM. Handlers are installed only when a
 * daemon asks for this, so Ctrl-C still ends ordinary CLI commands the usual way. A second
 * signal while shutting down exits at once, for a shutdown that hangs.
 */
export function processStopSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/** Resolves with the abort reason (the signal name) once `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}
