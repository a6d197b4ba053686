import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createClient, type KawaClient } from '@kawa/client';
import { resolveToken, type CliContext } from '../../context.js';
import { exitCodes } from '../../errors.js';
import { writeLine } from '../../io.js';
import type { CheckResult } from './check.js';
import { checkClock, checkHost, checkSharedDir } from './cluster-checks.js';
import {
  checkCgroups,
  checkDocker,
  checkNumactl,
  checkNvidiaSmi,
  dockerVersion,
  type RunProgram,
} from './node-checks.js';

/** What the checks read from this machine; tests pass their own. */
export interface DoctorSystem {
  mounts: () => string;
  /** The `cgroup.controllers` of a v2 mount, or null when it cannot be read. */
  v2Controllers: (mountPoint: string) => string | null;
  run: RunProgram;
  dockerVersion: (socketPath: string) => Promise<string>;
  now: () => number;
}

const readOrNull = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** This machine, for real. A program that is not on PATH answers null. */
export const realSystem: DoctorSystem = {
  mounts: () => readOrNull('/proc/self/mounts') ?? '',
  v2Controllers: (mountPoint) => readOrNull(join(mountPoint, 'cgroup.controllers')),
  run: (file, args) =>
    new Promise((resolve) => {
      const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.once('error', () => {
        clearTimeout(timer);
        resolve(null);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 128, stdout });
      });
    }),
  dockerVersion: (socketPath) => dockerVersion(socketPath),
  now: () => Date.now(),
};

const marks = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

function printHuman(context: CliContext, results: readonly CheckResult[]): void {
  const width = Math.max(...results.map((result) => result.name.length));
  for (const result of results) {
    writeLine(context.io.stdout, `${marks[result.status]}  ${result.name.padEnd(width)}  ${result.message}`);
    if (result.fix !== undefined) writeLine(context.io.stdout, `${' '.repeat(width + 8)}fix: ${result.fix}`);
  }
  const failed = results.filter((result) => result.status === 'fail').length;
  const warned = results.filter((result) => result.status === 'warn').length;
  writeLine(
    context.io.stdout,
    `${results.length} checks: ${results.length - failed - warned} ok, ${warned} warn, ${failed} fail`,
  );
}

/** Runs every check, in the order a person fixes them: this node first, then the cluster. */
export async function runChecks(context: CliContext, system: DoctorSystem): Promise<CheckResult[]> {
  const config = context.config();
  const hostUrl = config.client.host_url;
  let client: KawaClient | null = null;
  try {
    client = createClient({ baseUrl: hostUrl, token: resolveToken(config), fetch: context.io.fetch });
  } catch {
    client = null; // no API token: the shared-dir check says so
  }
  const results: CheckResult[] = [
    await checkDocker(config.runner.docker_socket, system.dockerVersion),
    checkCgroups(system.mounts(), system.v2Controllers),
    await checkNumactl(config.runner.numactl_path, system.run),
    await checkNvidiaSmi(system.run),
  ];
  const host = await checkHost(hostUrl, context.io.fetch, system.now);
  results.push(host.result);
  const sharedHost =
    host.answer === null
      ? { notAsked: 'the host did not answer', fix: 'fix the host check first' }
      : client === null
        ? {
            notAsked: 'no API token',
            fix: 'set [client] token (any user token) to let doctor check that the host sees the same storage',
          }
        : { client };
  results.push(await checkSharedDir(config.runner.shared_dir, sharedHost));
  results.push(checkClock(host.answer, system.now()));
  return results;
}

export function registerDoctor(program: Command, context: CliContext, system: DoctorSystem = realSystem): void {
  program
    .command('doctor')
    .summary('check this node: Docker, cgroups, numactl, GPUs, the shared dir, the host and the clock')
    .description(
      'Check what Kawa needs on this machine and print ok, warn or FAIL with a fix for each. ' +
        'The shared-dir check writes a probe file and asks the host whether it sees the same file (it needs an API token). ' +
        'Exits 1 when a check fails; warnings do not change the exit code. See docs/troubleshooting.md.',
    )
    .option('--json', 'print the results as JSON: { ok, checks: [{ name, status, message, fix? }] }')
    .action(
      context.run(async (flags: { json?: boolean }) => {
        const results = await runChecks(context, system);
        const passed = results.every((result) => result.status !== 'fail');
        if (context.wantsJson(flags.json))
          writeLine(context.io.stdout, JSON.stringify({ ok: passed, checks: results }, null, 2));
        else printHuman(context, results);
        return passed ? exitCodes.ok : exitCodes.failed;
      }),
    );
}
