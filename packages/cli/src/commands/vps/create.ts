import type { Command } from 'commander';
import { validateRouteInput } from '@kawa/client';
import { CreateVpsRequestSchema, type CreateVpsInput, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { checkLocally } from '../../errors.js';
import { writeLine } from '../../io.js';
import { writeJson } from '../../output/json.js';
import { parseNumber, parseWholeNumber } from '../../parse.js';
import { systemProcesses } from '../../system/processes.js';
import { sshFiles, vpsAlias } from '../ssh/vps-alias.js';
import { adoptKey, dropKey, forgetOldVps, generateKey } from './generated-key.js';
import { chooseKey, type KeyOptions } from './public-key.js';
import { waitUntilRunning } from './wait-running.js';

interface CreateOptions extends KeyOptions {
  target?: string;
  cores?: string;
  memory?: string;
  gpus?: string;
  container?: string;
  image?: string;
  wait?: boolean;
  json?: boolean;
}

/** The create body from the flags, all but the key; checked with the route's schema later. */
function bodyFields(options: CreateOptions): Omit<CreateVpsInput, 'publicKey'> {
  const gpus = CreateVpsRequestSchema.shape.gpus.unwrap();
  return {
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.cores === undefined ? {} : { cores: parseNumber(options.cores, '--cores', 'KAWA_ERR_BAD_CORES') }),
    ...(options.memory === undefined ? {} : { memory: options.memory }),
    ...(options.gpus === undefined
      ? {}
      : { gpus: parseWholeNumber(options.gpus, '--gpus', gpus.minValue ?? 0, gpus.maxValue ?? 64) }),
    ...(options.container === undefined ? {} : { container: options.container }),
    ...(options.image === undefined ? {} : { image: options.image }),
  };
}

function placed(task: Task): string {
  return `${task.status}${task.node === null ? '' : ` on ${task.node}`}`;
}

export function registerVpsCreate(vps: Command, context: CliContext): void {
  vps
    .command('create')
    .summary('start a VPS: a persistent container with sshd and your key, placed like a task')
    .description(
      'Creates a VPS: a container kawa-vps-<id> that keeps running (until stopped) with sshd and ' +
        'your public key for root. It is placed like a task: -t picks a node (node, node:NUMA, ' +
        'node::GPU...), else the scheduler does. No key option: ~/.ssh/id_ed25519.pub, then ' +
        '~/.ssh/id_rsa.pub. Reach it with kawa ssh <id>; its port is never opened off its node.',
    )
    .option('-t, --target <target>', 'node, node:NUMA, node::GPU[,GPU...] or node:NUMA::GPU...; default: any')
    .option('-c, --cores <n>', 'CPU cores (fractions allowed); default 0: no limit')
    .option('-m, --memory <size>', 'memory limit: 512M, 4G (1000-based) or 2Gi (1024-based); default none')
    .option('--gpus <n>', 'GPUs to pick on the chosen node (exclusive); with GPU ids in the target, not needed')
    .option('--container <env>', "the env to run (see kawa docker tar list); default: the host's")
    .option('--image <image>', 'a registry image instead of an env (it must have openssh-server)')
    .option('--public-key-file <file>', 'the public key (.pub) to log in with')
    .option('--public-key <key>', 'the public key itself: "ssh-ed25519 AAAA... comment"')
    .option('--generate-key', 'make a new key pair for this VPS in ~/.kawa/keys; kawa ssh uses it')
    .option('--wait', 'wait until the VPS runs')
    .option('--json', 'print { vps, keyFile, ssh } as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kawa vps create --wait\n' +
        '  kawa vps create -t node3::1 -c 8 -m 32G --container cuda --wait\n' +
        '  kawa vps create --image kawa-test/vps:latest --generate-key',
    )
    .action(
      context.run(async (options: CreateOptions) => {
        const { io } = context;
        const fields = bodyFields(options);
        const chosen = chooseKey(options, io);
        const files = sshFiles(io);
        const pending = chosen === null ? await generateKey(files, io.processes ?? systemProcesses()) : null;
        let task: Task;
        try {
          const body = { ...fields, publicKey: chosen?.publicKey ?? pending?.publicKey ?? '' };
          checkLocally(() => validateRouteInput('createVps', { body }));
          task = await context.client().call('createVps', { body });
        } catch (error) {
          // A key made for a VPS that was never created would only confuse later.
          if (pending !== null) dropKey(pending.path);
          throw error;
        }
        forgetOldVps(files, task.id);
        const keyFile = pending === null ? null : adoptKey(files, pending, task.id);
        const json = context.wantsJson(options.json);
        if (!json) {
          writeLine(io.stdout, `VPS ${task.id} created (${placed(task)})`);
          const generated = `generated ${keyFile ?? ''} (kawa ssh and ssh ${vpsAlias(task.id)} use it)`;
          writeLine(io.stdout, `key: ${keyFile === null ? (chosen?.from ?? '') : generated}`);
        }
        if (options.wait === true) {
          task = await waitUntilRunning(context, task.id);
          if (!json) writeLine(io.stdout, `VPS ${task.id} is ${placed(task)}`);
        }
        if (json) writeJson(io.stdout, { vps: task, keyFile, ssh: `kawa ssh ${task.id}` });
        else
          writeLine(
            io.stdout,
            `connect: kawa ssh ${task.id}   (or ssh ${vpsAlias(task.id)} after kawa ssh config --write)`,
          );
        return 0;
      }),
    );
}
