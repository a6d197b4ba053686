import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runWith, tempHomes } from '../../test-support.js';
import { BLOCK_END, BLOCK_START, withConfigBlock } from './config-block.js';

const homes = tempHomes('kawa-ssh-config-test-');
const tempHome = homes.make;
afterEach(homes.removeAll);

const userConfig = 'ServerAliveInterval 30\n\nHost work\n  User bob\n\nHost *\n  User nobody\n';

/** What the real OpenSSH client makes of `host` with `config`: its settings, lowercased keys. */
function resolved(config: string, host: string): Map<string, string[]> {
  const text = execFileSync('ssh', ['-G', '-F', config, host], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const settings = new Map<string, string[]>();
  for (const line of text.trim().split('\n')) {
    const [key = '', ...value] = line.split(' ');
    settings.set(key, [...(settings.get(key) ?? []), value.join(' ')]);
  }
  return settings;
}

describe('kawa ssh config', () => {
  it('prints the block without touching ~/.ssh/config', async () => {
    const home = tempHome();
    const run = await runWith(['ssh', 'config'], { env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith(`${BLOCK_START}\nHost kawa-*\n  User root\n`)).toBe(true);
    expect(run.stdout).toContain(
      '  ProxyCommand env NODE_CHANNEL_FD=1 /usr/bin/node /opt/kawa/bin/kawa.js ssh --fdpass %n\n  ProxyUseFdpass yes\n',
    );
    expect(run.stderr).toBe(`(add it to ${home}/.ssh/config with: kawa ssh config --write)\n`);
    expect(() => statSync(join(home, '.ssh'))).toThrow();
  });

  it('writes the block on top, keeps the rest, is idempotent, mode 0600; real ssh reads it as meant', async () => {
    const home = tempHome();
    mkdirSync(join(home, '.ssh'));
    const path = join(home, '.ssh', 'config');
    writeFileSync(path, userConfig, { mode: 0o644 });
    const first = await runWith(['ssh', 'config', '--write'], { env: { HOME: home } });
    expect(first).toEqual({ code: 0, stdout: `wrote the Host kawa-* block to ${path}\n`, stderr: '' });
    const written = readFileSync(path, 'utf8');
    expect(written.endsWith(`${BLOCK_END}\n\n${userConfig}`)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = await runWith(['ssh', 'config', '--write', '--json'], { env: { HOME: home } });
    expect(JSON.parse(again.stdout)).toMatchObject({ path, written: true, changed: false });
    expect(readFileSync(path, 'utf8')).toBe(written);

    const vps = resolved(path, 'kawa-42');
    expect(vps.get('user')).toEqual(['root']);
    expect(vps.get('proxycommand')).toEqual([
      'env NODE_CHANNEL_FD=1 /usr/bin/node /opt/kawa/bin/kawa.js ssh --fdpass %n',
    ]);
    expect(vps.get('proxyusefdpass')).toEqual(['yes']);
    expect(vps.get('userknownhostsfile')).toEqual([`${home}/.kawa/known_hosts`]);
    expect(vps.get('stricthostkeychecking')).toEqual(['accept-new']);
    expect(vps.get('identityfile')?.[0]).toBe(`${home}/.kawa/keys/%n`);
    // ssh's default keys still count for kawa-* hosts.
    expect(vps.get('identityfile')).toContain('~/.ssh/id_ed25519');
    // The user's own settings: the global line stays global, their hosts keep their users.
    expect(vps.get('serveraliveinterval')).toEqual(['30']);
    expect(resolved(path, 'work').get('user')).toEqual(['bob']);
    expect(resolved(path, 'elsewhere').get('user')).toEqual(['nobody']);
    expect(resolved(path, 'elsewhere').get('proxycommand')).toBeUndefined();
  });

  it('replaces an older block in place and writes through a symlinked config', async () => {
    const home = tempHome();
    mkdirSync(join(home, '.ssh'));
    mkdirSync(join(home, 'dotfiles'));
    const real = join(home, 'dotfiles', 'ssh_config');
    const old = `Host first\n  User a\n${BLOCK_START}\nHost kawa-*\n  ProxyCommand old\n${BLOCK_END}\nHost last\n  User z\n`;
    writeFileSync(real, old);
    symlinkSync(real, join(home, '.ssh', 'config'));
    const run = await runWith(['ssh', 'config', '--write', '--host-url', 'http://10.0.0.5:8000'], {
      env: { HOME: home },
    });
    expect(run.code).toBe(0);
    expect(lstatSync(join(home, '.ssh', 'config')).isSymbolicLink()).toBe(true);
    const text = readFileSync(real, 'utf8');
    expect(text.startsWith(`Host first\n  User a\n${BLOCK_START}\nHost kawa-*\n`)).toBe(true);
    expect(text.endsWith(`${BLOCK_END}\nHost last\n  User z\n`)).toBe(true);
    expect(text).not.toContain('ProxyCommand old');
    expect(text).toContain(
      'ProxyCommand env NODE_CHANNEL_FD=1 /usr/bin/node /opt/kawa/bin/kawa.js --host-url http://10.0.0.5:8000 ssh',
    );
  });

  it('never writes the token into the file', async () => {
    const home = tempHome();
    const run = await runWith(['ssh', 'config', '--write', '--token', 's3cret'], { env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(readFileSync(join(home, '.ssh', 'config'), 'utf8')).not.toContain('s3cret');
    expect(run.stderr).toContain('--token is not written into the block');
  });
});

describe('withConfigBlock', () => {
  it('puts the block in an empty file as it is', () => {
    expect(withConfigBlock('', 'BLOCK\n')).toBe('BLOCK\n');
    expect(withConfigBlock('\n\n', 'BLOCK\n')).toBe('BLOCK\n');
  });
});
