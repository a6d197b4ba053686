import type { Command } from 'commander';
import { validateRouteInput } from '@kawa/client';
import { NO_CONTAINER, parseMountSpec, type SubmitTaskInput } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { UsageError, checkLocally } from '../../errors.js';
import { writeLine } from '../../io.js';
import { writeJson } from '../../output/json.js';
import { formatIdList } from '../../output/format.js';
import { collect, parseNumber } from '../../parse.js';
import { reportOutcome, waitForTasks } from './wait-tasks.js';

interface SubmitOptions {
  target: string[];
  cores?: string;
  memory?: string;
  env: string[];
  workdir?: string;
  container?: string;
  image?: string;
  mount: string[];
  privileged?: boolean;
  privateNetwork?: boolean;
  privatePid?: boolean;
  wait?: boolean;
  json?: boolean;
}

/** -e NAME=VALUE, or -e NAME to pass this shell's value, as `docker run -e` does. */
export function parseEnv(entries: readonly string[], env: CliContext['io']['env']): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals === 0) throw new UsageError('KAWA_ERR_BAD_ENV', `env "${entry}" has no name: give -e NAME=VALUE`);
    if (equals > 0) {
      result[entry.slice(0, equals)] = entry.slice(equals + 1);
      continue;
    }
    const inherited = env[entry];
    if (inherited === undefined) {
      throw new UsageError('KAWA_ERR_BAD_ENV', `env ${entry} is not set in this shell: give -e ${entry}=VALUE`);
    }
    result[entry] = inherited;
  }
  return result;
}

/** --mount HOST:CONTAINER[:ro|:rw], as `docker run -v` takes it; paths are checked with the body. */
export function parseMounts(specs: readonly string[]): NonNullable<SubmitTaskInput['mounts']> {
  return specs.map((spec) => {
    const mount = parseMountSpec(spec);
    if (mount === null)
      throw new UsageError(
        'KAWA_ERR_BAD_MOUNT',
        `--mount "${spec}" is not HOST:CONTAINER[:ro], for example --mount /data/in:/in:ro`,
      );
    return mount;
  });
}

/** Builds the submit body from the flags; throws a UsageError for anything the API would refuse. */
export function buildSubmitBody(
  command: readonly string[],
  options: SubmitOptions,
  context: CliContext,
): SubmitTaskInput {
  const body: SubmitTaskInput = {
    command: [...command],
    targets: options.target,
    env: parseEnv(options.env, context.io.env),
    privateNetwork: options.privateNetwork === true,
    privatePid: options.privatePid === true,
  };
  if (options.cores !== undefined) body.cores = parseNumber(options.cores, '--cores', 'KAWA_ERR_BAD_CORES');
  if (options.memory !== undefined) body.memory = options.memory;
  if (options.container !== undefined) body.container = options.container;
  if (options.image !== undefined) body.image = options.image;
  if (options.mount.length > 0) body.mounts = parseMounts(options.mount);
  if (options.privileged === true) body.privileged = true;
  if (options.workdir !== undefined) body.workdir = options.workdir;
  // A no-Docker task runs where the user stands unless told otherwise, as Slurm's jobs do.
  else if (options.container === NO_CONTAINER) body.workdir = context.io.cwd;
  checkLocally(() => validateRouteInput('submitTasks', { body }));
  return body;
}

export function registerSubmit(task: Command, context: CliContext): void {
  task
    .command('submit')
    .summary('submit a command as one task per target')
    .description(
      'Submit a command to run on the cluster: one task per --target, all in one batch. With no ' +
        'target the scheduler picks a node. It runs in a Docker container: an env (--container; ' +
        "the host's default env when not given) or a registry image (--image); --container NULL " +
        'runs it on the node without Docker. The command is an argv given after "--", never a ' +
        'shell string: use -- sh -c "..." for shell syntax.',
    )
    .usage('[options] -- CMD [ARGS...]')
    .argument('[command...]', 'the command and its arguments, after --')
    .option(
      '-t, --target <target>',
      'node, node:NUMA, node::GPU[,GPU...] or node:NUMA::GPU...; repeat for more tasks',
      collect,
      [],
    )
    .option('-c, --cores <n>', 'CPU cores (fractions allowed for Docker tasks); default 1')
    .option('-m, --memory <size>', 'memory limit: 512M, 4G (1000-based) or 2Gi (1024-based); default none')
    .option(
      '-e, --env <name=value>',
      "an environment variable; -e NAME passes this shell's value; repeatable",
      collect,
      [],
    )
    .option('-w, --workdir <dir>', 'working directory (absolute); with --container NULL it defaults to this directory')
    .option(
      '--container <name>',
      "the env to run in (see kawa docker tar list), or NULL to run on the node without Docker; default: the host's",
    )
    .option('--image <image>', 'a registry image to run in instead of an env; the node pulls it if it lacks it')
    .option(
      '--mount <host:container[:ro]>',
      'bind a host path into the container, read-only with :ro; repeatable (the host allow-lists paths)',
      collect,
      [],
    )
    .option('--privileged', 'run the container privileged (Docker --privileged); admin tokens only')
    .option('--private-network', 'give the task its own network namespace, with no network')
    .option('--private-pid', 'give the task its own PID namespace')
    .option('--wait', "wait for every task to end and exit with the task's exit code")
    .option('--json', 'print the API answer as JSON')
    .showHelpAfterError(
      '(put the command after "--": kawa task submit [options] -- CMD [ARGS...]; add --help for usage)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        "  kawa task submit --wait -- echo hello                 # in the host's default env\n" +
        '  kawa task submit --container py -t node1:0 -c 2 -m 4G -e SEED=7 -- python3 train.py\n' +
        '  kawa task submit --image debian:12 --mount /data/in:/in:ro -- ls /in\n' +
        '  kawa task submit --container NULL -t node1 -t node2 -- hostname   # no Docker\n\n' +
        "With --wait the exit code is the task's (several tasks: the first non-zero in id order).",
    )
    .action(
      context.run(async (command: string[], options: SubmitOptions) => {
        const body = buildSubmitBody(command, options, context);
        const json = context.wantsJson(options.json);
        const answer = await context.client().call('submitTasks', { body });
        if (!options.wait) {
          if (json) writeJson(context.io.stdout, answer);
          else writeLine(context.io.stdout, `submitted batch ${answer.batchId}: task ${formatIdList(answer.taskIds)}`);
          return 0;
        }
        if (!json)
          writeLine(context.io.stdout, `submitted batch ${answer.batchId}: task ${formatIdList(answer.taskIds)}`);
        const tasks = await waitForTasks(context, answer.taskIds);
        return reportOutcome(context, tasks, json, json ? { ...answer } : {});
      }),
    );
}
