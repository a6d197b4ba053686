import { readFileSync } from 'node:fs';
import { KawaError } from '@kawa/protocol';

/**
 * The PEM CA certificate(s) of `ca_file`, to trust a wss:// host with a self-signed
 * certificate; null when the setting is empty (the system's CAs then). An unreadable file is a
 * config error naming the key.
 */
export function readCaFile(path: string, key: string): Buffer | null {
  if (path === '') return null;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new KawaError('KAWA_ERR_CONFIG', `cannot read ${key} ${path}: ${(error as Error).message}`, { cause: error });
  }
}
