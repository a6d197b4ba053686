import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { runWith, tempHomes } from '../../test-support.js';
import { quoteExecWord, renderUnit } from './systemd-unit.js';

const homes = tempHomes('kawa-init-service-test-');
afterEach(homes.removeAll);

// The unit's ExecStart must name a program that exists: systemd-analyze checks it.
const self = { node: process.execPath, script: '/opt/kawa/lib/node_modules/kawa/bin/kawa.js' };

function lines(text: string): string[] {
  return text.split('\n');
}

describe('kawa init service', () => {
  it('prints a runner unit that restarts on failure and starts after (and with) Docker', async () => {
    const run = await runWith(['init', 'service', '--runner', '--print'], { self });
    expect(run.code, run.stderr).toBe(0);
    const unit = lines(run.stdout);
    expect(unit).toContain(`ExecStart=${process.execPath} ${self.script} runner`);
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toContain('After=network-online.target docker.service');
    expect(unit).toContain('Wants=network-online.target docker.service');
    expect(unit).toContain('WantedBy=multi-user.target');
    expect(unit.some((line) => line.startsWith('User='))).toBe(false);
  });

  it('prints a host unit that waits for the network, runs as --user and reads --config', async () => {
    const run = await runWith(['--config', 'etc/kawa.toml', 'init', 'service', '--host', '--user', 'kawa', '--print'], {
      self,
      cwd: '/srv',
    });
    expect(run.code, run.stderr).toBe(0);
    const unit = lines(run.stdout);
    expect(unit).toContain(`ExecStart=${process.execPath} ${self.script} --config /srv/etc/kawa.toml host`);
    expect(unit).toContain('User=kawa');
    expect(unit).toContain('After=network-online.target docker.service');
    expect(unit).toContain('Wants=network-online.target');
    expect(unit).toContain('Restart=on-failure');
  });

  it('writes kawa-<role>.service into --dir (0644), and refuses to replace it without --force', async () => {
    const dir = homes.make();
    const first = await runWith(['init', 'service', '--runner', '--dir', dir], { self });
    const path = join(dir, 'kawa-runner.service');
    expect(first).toEqual({
      code: 0,
      stdout: `wrote ${path}\nnext: systemctl daemon-reload && systemctl enable --now kawa-runner.service\n`,
      stderr: '',
    });
    expect(statSync(path).mode & 0o777).toBe(0o644);
    writeFileSync(path, '# mine\n');
    const refused = await runWith(['init', 'service', '--runner', '--dir', dir], { self });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(path, 'utf8')).toBe('# mine\n');
    expect((await runWith(['init', 'service', '--runner', '--dir', dir, '--force'], { self })).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toContain('Restart=on-failure');
  });

  it('needs exactly one of --host and --runner, and a plain user name', async () => {
    const dir = homes.make();
    for (const argv of [
      ['init', 'service', '--dir', dir],
      ['init', 'service', '--host', '--runner', '--dir', dir],
      ['init', 'service', '--host', '--user', 'root\nExecStartPre=/bin/sh', '--dir', dir],
    ]) {
      const run = await runWith(argv, { self });
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/KAWA_ERR_USAGE/);
    }
    expect(existsSync(join(dir, 'kawa-host.service'))).toBe(false);
  });

  it('quotes ExecStart words with spaces, quotes, $ and %', () => {
    expect(quoteExecWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(quoteExecWord('/opt/my kawa/kawa.js')).toBe('"/opt/my kawa/kawa.js"');
    expect(quoteExecWord('/a/$HOME/100%')).toBe('"/a/$$HOME/100%%"');
    expect(quoteExecWord('say "hi"')).toBe('"say \\"hi\\""');
  });
});

describe('the generated units pass systemd-analyze verify', () => {
  const verify = promisify(execFile);
  for (const role of ['host', 'runner'] as const) {
    for (const user of [undefined, 'daemon']) {
      it(`kawa-${role}.service${user === undefined ? '' : ` as ${user}`}`, async () => {
        const dir = homes.make();
        const path = join(dir, `kawa-${role}.service`);
        const unit = renderUnit({
          role,
          node: process.execPath,
          script: '/opt/my kawa/bin/kawa.js',
          configPath: '/etc/kawa/config.toml',
          ...(user === undefined ? {} : { user }),
        });
        writeFileSync(path, unit);
        // Exit 0 alone is not enough: systemd-analyze only warns about a bad value (and
        // ignores the line), so any output at all fails the test.
        const result = await verify('systemd-analyze', ['verify', path], { cwd: dir }).then(
          (output) => ({ code: 0, ...output }),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
        expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
      });
    }
  }
});
