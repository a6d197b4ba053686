import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, renderDefaultConfig } from '@kawa/config';
import { runWith, tempHomes } from '../../test-support.js';

const homes = tempHomes('kawa-init-test-');
const tempHome = homes.make;
afterEach(homes.removeAll);

describe('kawa init config', () => {
  it('writes the commented default to ~/.kawa/config.toml with mode 0600', async () => {
    const home = tempHome();
    const run = await runWith(['init', 'config'], { env: { HOME: home } });
    const path = join(home, '.kawa', 'config.toml');
    expect(run).toEqual({ code: 0, stdout: `wrote ${path}\n`, stderr: '' });
    expect(readFileSync(path, 'utf8')).toBe(renderDefaultConfig());
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses to overwrite without --force, and overwrites with it', async () => {
    const home = tempHome();
    const path = join(home, 'custom.toml');
    writeFileSync(path, '# mine\n', { mode: 0o644 });
    const refused = await runWith(['init', 'config', '--path', path], { env: { HOME: home } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(path, 'utf8')).toBe('# mine\n');
    const forced = await runWith(['init', 'config', '--path', path, '--force'], { env: { HOME: home } });
    expect(forced.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(renderDefaultConfig());
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('writes where --config points when no --path is given', async () => {
    const home = tempHome();
    const path = join(home, 'elsewhere', 'kawa.toml');
    expect((await runWith(['--config', path, 'init', 'config'], { env: { HOME: home } })).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(renderDefaultConfig());
  });

  it('writes only the chosen sections with --runner and --client, and the result still loads', async () => {
    const home = tempHome();
    const run = await runWith(['init', 'config', '--runner', '--client'], { env: { HOME: home } });
    expect(run.code).toBe(0);
    const text = readFileSync(join(home, '.kawa', 'config.toml'), 'utf8');
    expect(text).not.toContain('[host]');
    expect(text).toContain('\n[runner]\n');
    expect(text).toContain('\n[client]\n');
    expect(text.startsWith('# Kawa configuration.')).toBe(true);
    // Every line of the cut-down file is a line of the full default, in the same order.
    const full = renderDefaultConfig().split('\n');
    let at = 0;
    for (const line of text.split('\n').filter((line) => line !== '')) {
      at = full.indexOf(line, at);
      expect(at, line).toBeGreaterThanOrEqual(0);
    }
    const loaded = loadConfig({ env: { HOME: home } });
    expect(loaded.runner.host_url).toBe('http://127.0.0.1:8000');
  });

  it('writes just [host] with --host', async () => {
    const home = tempHome();
    expect((await runWith(['init', 'config', '--host'], { env: { HOME: home } })).code).toBe(0);
    const text = readFileSync(join(home, '.kawa', 'config.toml'), 'utf8');
    expect(text).toContain('\n[host]\n');
    expect(text).not.toMatch(/^\[(runner|client)\]$/m);
  });
});
