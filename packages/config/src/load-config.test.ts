import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { ConfigFileSchema } from '@kawa/protocol';
import { loadConfig, renderDefaultConfig, sanitizeNodeName } from './index.js';

function home(configText?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kawa-config-'));
  if (configText !== undefined) {
    const kawaDir = join(dir, '.kawa');
    mkdirSync(kawaDir);
    writeFileSync(join(kawaDir, 'config.toml'), configText);
  }
  return dir;
}

describe('loadConfig', () => {
  it('uses defaults under ~/.kawa when there is no file', () => {
    const dir = home();
    const config = loadConfig({ env: { HOME: dir } });
    expect(config.fileExists).toBe(false);
    expect(config.host.port).toBe(8000);
    expect(config.host.state_dir).toBe(join(dir, '.kawa/host'));
    expect(config.client.token_file).toBe(join(dir, '.kawa/host/admin-token'));
    expect(Object.isFrozen(config.host)).toBe(true);
  });

  it('layers file, then KAWA_* env, then flags', () => {
    const dir = home('[host]\nport = 9000\nlisten = "127.0.0.2"\n[runner]\nname = "from-file"\n');
    const config = loadConfig({
      env: { HOME: dir, KAWA_HOST_PORT: '9100', KAWA_RUNNER_NAME: 'from-env' },
      overrides: { runner: { name: 'from-flag' } },
    });
    expect(config.host.port).toBe(9100);
    expect(config.host.listen).toBe('127.0.0.2');
    expect(config.runner.name).toBe('from-flag');
  });

  it('rejects bad values with KAWA_ERR_CONFIG and a next step', () => {
    const dir = home('[host]\nport = "http"\n');
    expect(() => loadConfig({ env: { HOME: dir } })).toThrow(/kawa init config/);
    try {
      loadConfig({ env: { HOME: dir } });
    } catch (error) {
      expect((error as { code: string }).code).toBe('KAWA_ERR_CONFIG');
    }
  });

  it('reads the connection limits from the file and KAWA_HOST_* and refuses values out of range', () => {
    const dir = home('[host]\nheaders_timeout = 2.5\nmax_connections = 64\n');
    const config = loadConfig({
      env: { HOME: dir, KAWA_HOST_REQUEST_TIMEOUT: '30', KAWA_HOST_KEEP_ALIVE_TIMEOUT: '1' },
    });
    expect(config.host).toMatchObject({
      headers_timeout: 2.5,
      request_timeout: 30,
      keep_alive_timeout: 1,
      max_connections: 64,
    });
    const bad = [
      { KAWA_HOST_MAX_CONNECTIONS: '0' },
      { KAWA_HOST_MAX_CONNECTIONS: '1e99' },
      { KAWA_HOST_HEADERS_TIMEOUT: 'abc' },
      { KAWA_HOST_HEADERS_TIMEOUT: '-1' },
      { KAWA_HOST_REQUEST_TIMEOUT: '\u0000' },
      { KAWA_HOST_KEEP_ALIVE_TIMEOUT: '999999' },
    ];
    for (const env of bad) {
      expect(() => loadConfig({ env: { HOME: home(), ...env } }), JSON.stringify(env)).toThrow(
        expect.objectContaining({ code: 'KAWA_ERR_CONFIG' }),
      );
    }
  });

  it('rejects unknown keys and invalid TOML', () => {
    expect(() => loadConfig({ env: { HOME: home('[host]\nprot = 1\n') } })).toThrow(/prot/);
    expect(() => loadConfig({ env: { HOME: home('[host\n') } })).toThrow(/not valid TOML/);
  });

  it('resolves an empty runner name to a safe hostname', () => {
    expect(loadConfig({ env: { HOME: home() } }).runner.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
    expect(sanitizeNodeName('my host.example.org')).toBe('my-host');
  });
});

describe('renderDefaultConfig', () => {
  it('is valid config with the given port', () => {
    const parsed = ConfigFileSchema.parse(parse(renderDefaultConfig({ port: 8123 })));
    expect(parsed.host.port).toBe(8123);
    expect(parsed.client.host_url).toBe('http://127.0.0.1:8123');
    expect(parsed.runner.host_url).toBe('http://127.0.0.1:8123');
  });
});
