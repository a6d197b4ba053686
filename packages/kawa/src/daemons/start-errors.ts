import { KawaError } from '@kawa/protocol';

/**
 * Turns an operating-system error at start (port in use, no permission on a dir) into a coded
 * error that says what to change; anything else passes through unchanged.
 */
export function explainStartError(error: unknown, what: string, listen?: { address: string; port: number }): unknown {
  if (error instanceof KawaError || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const where = listen ? `${listen.address}:${listen.port}` : '';
  if (code === 'EADDRINUSE') {
    return new KawaError(
      'KAWA_ERR_CONFIG',
      `cannot start ${what}: ${where} is already in use; stop what holds it, or choose another port with --port (0 picks a free one) or [host] port`,
      {
        cause: error,
      },
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new KawaError(
      'KAWA_ERR_CONFIG',
      `cannot start ${what}: ${listen?.address ?? 'the listen address'} is not an address of this machine; fix --listen or [host] listen`,
      {
        cause: error,
      },
    );
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new KawaError('KAWA_ERR_CONFIG', `cannot start ${what}: ${error.message}`, { cause: error });
  }
  return error;
}
