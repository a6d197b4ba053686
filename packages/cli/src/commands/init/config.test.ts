import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderDefaultConfig } from '@kawa/config';
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
});
