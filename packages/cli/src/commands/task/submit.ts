import type { Command } from 'commander';
import type { SubmitTaskResponse } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { writeLine } from '../../io.js';
import { writeJson } from '../../output/json.js';
import { formatIdList } from '../../output/format.js';
import { collect } from '../../parse.js';
import { buildSubmitBody, type SubmitOptions, type SubmitPlan } from './submit-body.js';
import { describeSweep } from './sweep-plan.js';
import { waitForBatch } from './wait-batch.js';
import { reportOutcome, waitForTasks } from './wait-tasks.js';

/** "submitted batch 3: task 4, 5", or for a sweep "submitted batch 3: 6 tasks (sweep of …), task 4-9". */
function describeSubmit(answer: SubmitTaskResponse, plan: SubmitPlan): string {
  const ids = `task ${formatIdList(answer.taskIds)}`;
  if (plan.sweep === null) return `submitted batch ${answer.batchId}: ${ids}`;
  const targets = plan.body.targets?.length ?? 0;
  return `submitted batch ${answer.batchId}: ${answer.taskIds.length} tasks (${describeSweep(plan.sweep, targets)}), ${ids}`;
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
    .option('--priority <n>', 'higher runs first (-1000 to 1000); equal priorities run in submit order; default 0')
    .option('--gpus <n>', 'GPUs to pick on the chosen node (exclusive); with GPU ids in the target, not needed')
    .option('--numa <auto>', 'auto: the scheduler picks a NUMA zone and binds the task to it')
    .option('--max-parallel <n>', 'at most this many tasks of the batch hold resources at once')
    .option('--retry <n>', 'requeue a task that ends lost (its node went away) up to N times; default 0')
    .option('--retry-on-fail', 'with --retry, requeue failed tasks too')
    .option('--no-sweep', 'pass span: arguments literally instead of expanding them')
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
        const plan = buildSubmitBody(command, options, context);
        const json = context.wantsJson(options.json);
        const answer = await context.client().call('submitTasks', { body: plan.body });
        if (json && !options.wait) writeJson(context.io.stdout, answer);
        if (!json) writeLine(context.io.stdout, describeSubmit(answer, plan));
        if (!options.wait) return 0;
        // One task: its own long-poll. A batch, or a task whose retries join its batch: a poll on
        // the lowest open task plus a list of the batch per round.
        if (answer.taskIds.length === 1 && (plan.body.retry ?? 0) === 0) {
          const tasks = await waitForTasks(context, answer.taskIds);
          return reportOutcome(context, tasks, json, json ? { ...answer } : {});
        }
        const tasks = await waitForBatch(context, answer.batchId, answer.taskIds);
        return reportOutcome(context, tasks, json, json ? { ...answer } : {}, true);
      }),
    );
}
