import { readFileSync } from 'node:fs';
import { KawaError, type HostConfig } from '@kawa/protocol';

/**
 * The host's TLS certificate and key from `[host] tls_cert` / `tls_key`: both set (HTTPS), or
 * both empty (plain HTTP). One without the other, or a file that cannot be read, is a config
 * error that names the key to fix.
 */
export function readTlsFiles(config: Pick<HostConfig, 'tls_cert' | 'tls_key'>): { cert: Buffer; key: Buffer } | null {
  const { tls_cert: certPath, tls_key: keyPath } = config;
  if (certPath === '' && keyPath === '') return null;
  if (certPath === '' || keyPath === '') {
    const missing = certPath === '' ? 'tls_cert' : 'tls_key';
    throw new KawaError(
      'KAWA_ERR_CONFIG',
      `[host] ${missing} is empty but ${missing === 'tls_cert' ? 'tls_key' : 'tls_cert'} is set: HTTPS needs both (or neither for plain HTTP)`,
    );
  }
  const read = (path: string, key: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new KawaError('KAWA_ERR_CONFIG', `cannot read [host] ${key} ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  return { cert: read(certPath, 'tls_cert'), key: read(keyPath, 'tls_key') };
}
