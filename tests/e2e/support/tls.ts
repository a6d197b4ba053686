import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A self-signed certificate for 127.0.0.1, made with openssl for this test only. */
export function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'host.crt');
  const key = join(dir, 'host.key');
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { cert, key };
}

/** The settings of a loopback cluster on TLS: the host's certificate, and it as the CA of runner and CLI. */
export function tlsEnv(tls: { cert: string; key: string }): Record<string, string> {
  return {
    KAWA_HOST_LISTEN: '127.0.0.1',
    KAWA_HOST_TLS_CERT: tls.cert,
    KAWA_HOST_TLS_KEY: tls.key,
    KAWA_RUNNER_CA_FILE: tls.cert,
    KAWA_CLIENT_CA_FILE: tls.cert,
  };
}
