import { existsSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import process from 'node:process';
import type { Command } from 'commander';
import { defaultConfigPath, loadConfig } from '@kawa/config';
import { KawaError } from '@kawa/protocol';
import type { CliContext, GlobalOptions } from '../../context.js';
import { UsageError, checkLocally } from '../../errors.js';
import { writeLine } from '../../io.js';
import { defaultConfigFor, writePrivateFile } from '../init/config.js';
import { checkHostUrl, probeHost } from './probe-host.js';

interface JoinFlags {
  name?: string;
  sharedDir?: string;
  path?: string;
  force?: boolean;
}

/** A TOML basic string; JSON's escapes are a subset TOML reads the same. */
const tomlString = (value: string): string => JSON.stringify(value);

/** Sets `key` in `[section]` of the commented default: replaces its line, commented or not. */
function setKey(text: string, section: string, key: string, value: string): string {
  const start = text.indexOf(`\n[${section}]\n`);
  if (start < 0) throw new Error(`the default config has no [${section}]`);
  const next = text.indexOf('\n[', start + 1);
  const end = next < 0 ? text.length : next;
  const body = text.slice(start, end);
  const line = new RegExp(`^(# )?${key} = .*$`, 'm');
  if (!line.test(body)) throw new Error(`the default config has no ${key} in [${section}]`);
  return text.slice(0, start) + body.replace(line, `${key} = ${value}`) + text.slice(end);
}

/** The runner (and client) config for a cluster at `url`, with the join token in it. */
export function joinConfig(url: string, token: string, flags: { name?: string; sharedDir?: string }): string {
  let text = defaultConfigFor(['runner', 'client']);
  text = setKey(text, 'runner', 'host_url', tomlString(url));
  text = setKey(text, 'runner', 'join_token', tomlString(token));
  if (flags.name !== undefined) text = setKey(text, 'runner', 'name', tomlString(flags.name));
  if (flags.sharedDir !== undefined) text = setKey(text, 'runner', 'shared_dir', tomlString(flags.sharedDir));
  return setKey(text, 'client', 'host_url', tomlString(url));
}

/** What the host's answer to the join token says about it; throws for anything but a join token. */
function checkJoinToken(url: string, status: number, code: string | null): void {
  if (status === 403 && code === 'KAWA_ERR_FORBIDDEN') return; // known, but not an API token: a join token
  if (status === 401)
    throw new KawaError(
      'KAWA_ERR_UNAUTHORIZED',
      `the host at ${url} does not know this join token: copy it again from the host's <state_dir>/join-token (~/.kawa/host/join-token)`,
    );
  if (status >= 200 && status < 300)
    throw new UsageError(
      'KAWA_ERR_USAGE',
      'that is an API token, not the join token: runners join with the host’s <state_dir>/join-token',
    );
  throw new KawaError('KAWA_ERR_HOST_UNREACHABLE', `the host at ${url} answered HTTP ${status} (${code ?? 'no code'})`);
}

export function registerJoin(program: Command, context: CliContext): void {
  program
    .command('join')
    .summary('make this machine a runner of the host at URL: check the host and write the config')
    .description(
      'Run on a compute node. Checks that a Kawa host answers at URL and knows TOKEN (the host’s ' +
        '<state_dir>/join-token), then writes [runner] and [client] to the config file (mode 0600: it holds the token). ' +
        'Start the runner with `kawa runner`, or install it as a service with `kawa init service --runner`.',
    )
    .argument('<url>', 'the host as this node reaches it, for example http://kawa-host:8000')
    .argument('<token>', 'the cluster join token')
    .option('--name <name>', 'node name (default: this machine’s hostname)')
    .option('--shared-dir <dir>', 'the shared dir; must be the same path as the host’s shared_dir')
    .option('--path <file>', 'where to write; default: --config, $KAWA_CONFIG or ~/.kawa/config.toml')
    .option('--force', 'replace an existing config file')
    .action(
      context.run(async (urlText: string, token: string, flags: JoinFlags) => {
        const url = checkLocally(() => checkHostUrl(urlText));
        if (!/^\S+$/.test(token)) throw new UsageError('KAWA_ERR_USAGE', 'the join token is empty or holds spaces');
        const answer = await probeHost(url, token, context.io.fetch ? { fetch: context.io.fetch } : {});
        checkJoinToken(url, answer.status, answer.code);
        const path = resolve(
          context.io.cwd,
          flags.path ?? program.opts<GlobalOptions>().config ?? defaultConfigPath(context.io.env),
        );
        if (flags.force !== true && existsSync(path))
          throw new UsageError('KAWA_ERR_USAGE', `${path} already exists: add --force to replace it`);
        // Written next to the target and read back as the runner will, so a bad --name or
        // --shared-dir fails now and leaves no broken config behind.
        const draft = `${path}.join-${process.pid}`;
        writePrivateFile(draft, joinConfig(url, token, flags), true);
        let loaded: ReturnType<typeof loadConfig>;
        try {
          loaded = loadConfig({ path: draft, env: { HOME: context.io.env.HOME } });
          renameSync(draft, path);
        } finally {
          rmSync(draft, { force: true });
        }
        writeLine(context.io.stdout, `wrote ${path}: runner ${loaded.runner.name} joins ${url}`);
        writeLine(
          context.io.stdout,
          'next: kawa runner   (or: sudo kawa init service --runner, then systemctl enable --now kawa-runner)',
        );
        return 0;
      }),
    );
}
