import { validateRouteInput } from '@kawa/client';
import { NO_CONTAINER, SubmitTaskRequestSchema, parseMountSpec, type SubmitTaskInput } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { UsageError, checkLocally } from '../../errors.js';
import { parseNumber, parseWholeNumber } from '../../parse.js';
import { planSweep, type SweepPlan } from './sweep-plan.js';

export interface SubmitOptions {
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
  priority?: string;
  gpus?: string;
  numa?: string;
  maxParallel?: string;
  retry?: string;
  retryOnFail?: boolean;
  /** Commander's negatable --no-sweep: false when given. */
  sweep: boolean;
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

/** The bounds of a whole-number field of the submit body, read from the contract. */
function bounds(field: 'priority' | 'gpus' | 'retry' | 'maxParallel'): [number, number] {
  const shape = SubmitTaskRequestSchema.shape;
  const schema = field === 'maxParallel' ? shape.maxParallel.unwrap().unwrap() : shape[field].unwrap();
  return [schema.minValue ?? 0, schema.maxValue ?? Number.MAX_SAFE_INTEGER];
}

function wholeFlag(text: string, flag: string, field: Parameters<typeof bounds>[0]): number {
  const [min, max] = bounds(field);
  return parseWholeNumber(text, flag, min, max);
}

/** The scheduler's flags: priority, GPU count, NUMA auto, max-parallel and retries. */
function schedulingFields(options: SubmitOptions): Partial<SubmitTaskInput> {
  const fields: Partial<SubmitTaskInput> = {};
  if (options.priority !== undefined) fields.priority = wholeFlag(options.priority, '--priority', 'priority');
  if (options.gpus !== undefined) fields.gpus = wholeFlag(options.gpus, '--gpus', 'gpus');
  if (options.numa !== undefined) {
    if (options.numa !== 'auto')
      throw new UsageError(
        'KAWA_ERR_USAGE',
        `--numa takes only "auto" (the scheduler picks a zone), got "${options.numa}"; ` +
          'to name a zone, put it in the target: -t node1:0',
      );
    fields.numa = 'auto';
  }
  if (options.maxParallel !== undefined)
    fields.maxParallel = wholeFlag(options.maxParallel, '--max-parallel', 'maxParallel');
  if (options.retry !== undefined) fields.retry = wholeFlag(options.retry, '--retry', 'retry');
  if (options.retryOnFail === true) fields.retryOnFail = true;
  return fields;
}

/** The submit body and, when the command has spans, how the host will expand it. */
export interface SubmitPlan {
  body: SubmitTaskInput;
  sweep: SweepPlan | null;
}

/** Builds the submit body from the flags; throws a UsageError for anything the API would refuse. */
export function buildSubmitBody(command: readonly string[], options: SubmitOptions, context: CliContext): SubmitPlan {
  const body: SubmitTaskInput = {
    command: [...command],
    targets: options.target,
    env: parseEnv(options.env, context.io.env),
    privateNetwork: options.privateNetwork === true,
    privatePid: options.privatePid === true,
    ...schedulingFields(options),
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
  const sweep = options.sweep ? planSweep(command, options.target.length) : null;
  if (sweep !== null) body.sweep = true;
  checkLocally(() => validateRouteInput('submitTasks', { body }));
  return { body, sweep };
}
