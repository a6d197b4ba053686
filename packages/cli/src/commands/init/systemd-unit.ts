/** Which daemon a unit runs. */
export type ServiceRole = 'host' | 'runner';

export interface UnitOptions {
  role: ServiceRole;
  /** The node binary, absolute: systemd does not search the user's PATH (nvm, /usr/local). */
  node: string;
  /** The installed `kawa` entry script, absolute. */
  script: string;
  /** A config file for ExecStart's --config; absent: the service user's ~/.kawa/config.toml. */
  configPath?: string;
  /** Run as this user; absent: root. */
  user?: string;
}

/** systemd's quoting for one ExecStart word: double quotes when it holds a space or quote. */
export function quoteExecWord(word: string): string {
  if (word !== '' && !/[\s"'\\$%;]/.test(word)) return word;
  // `$` and `%` are expanded by systemd even inside quotes; double them to keep them literal.
  const escaped = word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$').replace(/%/g, '%%');
  return `"${escaped}"`;
}

export function unitName(role: ServiceRole): string {
  return `kawa-${role}.service`;
}

/**
 * A systemd unit that runs `kawa host` or `kawa runner` at boot and restarts it after a crash.
 * Both start after Docker (the host makes env tarballs with it, the runner runs tasks in it);
 * the runner also pulls Docker in, and the host waits for the network, since it listens on it.
 */
export function renderUnit(options: UnitOptions): string {
  const { role } = options;
  const argv = [options.node, options.script];
  if (options.configPath !== undefined) argv.push('--config', options.configPath);
  argv.push(role);
  const unit = [
    '# Written by `kawa init service`; `kawa init service --force` writes it again.',
    '[Unit]',
    role === 'host'
      ? 'Description=Kawa host (API, scheduler, dashboard)'
      : 'Description=Kawa runner (runs tasks on this node)',
  ];
  if (role === 'host') {
    unit.push('Wants=network-online.target', 'After=network-online.target docker.service');
  } else {
    unit.push('Wants=network-online.target docker.service', 'After=network-online.target docker.service');
  }
  unit.push('', '[Service]', 'Type=simple', `ExecStart=${argv.map(quoteExecWord).join(' ')}`);
  if (options.user !== undefined) unit.push(`User=${options.user}`);
  unit.push('Restart=on-failure', 'RestartSec=5s', 'TimeoutStopSec=30s', 'LimitNOFILE=65536');
  if (role === 'runner') {
    unit.push(
      // The runner makes a cgroup per no-Docker task below its own; on cgroup v2 that needs
      // the controllers delegated to the service.
      'Delegate=yes',
      // SIGTERM goes to the runner alone, and nothing else is killed when it exits: its
      // no-Docker tasks live on under the spawn helper, which records their exit codes, and
      // the restarted runner adopts them (as it adopts the Docker tasks and VPS containers,
      // which live in Docker's cgroups anyway). `kawa task kill` is how a task is stopped.
      'KillMode=process',
    );
  }
  unit.push('', '[Install]', 'WantedBy=multi-user.target', '');
  return unit.join('\n');
}
