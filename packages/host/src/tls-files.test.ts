import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTlsFiles } from './tls-files.js';

describe('[host] tls_cert and tls_key', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('means plain HTTP when both are empty, and reads both when both are set', () => {
    expect(readTlsFiles({ tls_cert: '', tls_key: '' })).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'kawa-tls-files-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'c'), 'CERT');
    writeFileSync(join(dir, 'k'), 'KEY');
    const files = readTlsFiles({ tls_cert: join(dir, 'c'), tls_key: join(dir, 'k') });
    expect([files?.cert.toString(), files?.key.toString()]).toEqual(['CERT', 'KEY']);
  });

  it('refuses one without the other, and an unreadable file, with KAWA_ERR_CONFIG naming the key', () => {
    expect(() => readTlsFiles({ tls_cert: '/x.crt', tls_key: '' })).toThrow(/tls_key is empty/);
    expect(() => readTlsFiles({ tls_cert: '', tls_key: '/x.key' })).toThrow(/tls_cert is empty/);
    let thrown: unknown;
    try {
      readTlsFiles({ tls_cert: '/nonexistent/c', tls_key: '/nonexistent/k' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'KAWA_ERR_CONFIG', message: expect.stringMatching(/tls_cert/) as unknown });
  });
});
