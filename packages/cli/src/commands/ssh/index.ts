import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { UsageError, checkLocally } from '../../errors.js';
import { processTerminal } from '../../terminal/terminal-io.js';
import { registerSshConfig } from './config.js';
import { openSsh } from './open-ssh.js';
import { runFdPass, runStdioProxy } from './stdio-proxy.js';
import { parseVpsId } from './vps-alias.js';

async function stdioProxy(context: CliContext, id: number, fdpass: boolean): Promise<number> {
  const client = context.client();
  const target = checkLocally(() => client.socket('vpsSsh', { params: { id } }));
  if (fdpass) {
    await runFdPass({ target, baseUrl: client.baseUrl, passSocket: context.io.passSocket });
    return 0;
  }
  const input = (context.io.terminal ?? processTerminal()).stdin;
  await runStdioProxy({ target, baseUrl: client.baseUrl, input, output: context.io.stdout });
  return 0;
}

export function registerSshCommands(program: Command, context: CliContext): void {
  const ssh = program
    .command('ssh')
    .summary('SSH into a VPS through the host with your OpenSSH client')
    .description(
      'Runs ssh as root@kawa-<id> with a ProxyCommand that opens an authenticated stream on the ' +
        'host, which asks the VPS’s node to connect it to its sshd; no node port is ever reached ' +
        'directly. For an http host the proxy hands ssh the connection itself (`kawa ssh --fdpass`, ' +
        'ProxyUseFdpass) and exits; for https it pipes the bytes (`kawa ssh --stdio`). Host keys are kept in ~/.kawa/known_hosts (a new VPS’s key is ' +
        'accepted, a changed one refused). A key made by `vps create --generate-key` is used ' +
        'automatically. ssh options and the remote command follow the id and go to ssh as they ' +
        'are; quote the command, or put it after --, when it has options of its own. The exit ' +
        'code is ssh’s: the remote command’s, or 255 when ssh fails.',
    )
    .usage('[options] <id> [ssh options...] [command...]\n       kawa ssh config [--write]')
    .argument('[id]', 'the VPS id (42, or kawa-42)')
    .argument('[ssh-args...]', 'ssh options, then the remote command')
    .option('--stdio', 'be the ProxyCommand: pipe stdin and stdout to the VPS’s sshd (what ssh runs for an https host)')
    .option(
      '--fdpass',
      'be the ProxyCommand with ProxyUseFdpass: hand ssh the connection itself (what ssh runs for an http host)',
    )
    .allowUnknownOption()
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kawa ssh 42\n' +
        '  kawa ssh 42 -L 8888:127.0.0.1:8888\n' +
        "  kawa ssh 42 'nvidia-smi; df -h /shared'\n" +
        '  kawa ssh config --write && scp data.tar kawa-42:/shared/',
    )
    .action(
      context.run(
        async (idText: string | undefined, rest: string[], options: { stdio?: boolean; fdpass?: boolean }) => {
          if (idText === undefined || idText.startsWith('-'))
            throw new UsageError('KAWA_ERR_USAGE', 'give the VPS id first: kawa ssh 42 [ssh options] [command]');
          const id = parseVpsId(idText);
          const proxy = options.fdpass === true ? '--fdpass' : options.stdio === true ? '--stdio' : null;
          if (proxy === null) return openSsh(context, id, rest);
          if (options.fdpass === true && options.stdio === true)
            throw new UsageError(
              'KAWA_ERR_USAGE',
              '--stdio and --fdpass are two ways to be the ProxyCommand: give one',
            );
          if (rest.length > 0)
            throw new UsageError('KAWA_ERR_USAGE', `${proxy} takes only the VPS id, got also: ${rest.join(' ')}`);
          return stdioProxy(context, id, options.fdpass === true);
        },
      ),
    );
  registerSshConfig(ssh, context);
}
