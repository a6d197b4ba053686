import { z } from 'zod';

/**
 * Every error code Kawa can return, defined once. `status` is the HTTP status the host answers
 * with; codes that describe a task's failure on its node (reported over the runner link, never
 * as an HTTP answer) still carry the status a client would see if the same check failed at
 * submit time. docs/errors.md lists the same codes; a test keeps the two in step.
 */
export const errorCodes = {
  KAWA_ERR_BAD_REQUEST: { status: 400, description: 'A body, query or path parameter failed validation.' },
  KAWA_ERR_BAD_JSON: { status: 400, description: 'The request body is not valid JSON.' },
  KAWA_ERR_BAD_TARGET: { status: 400, description: 'A target is not of the form node[:numa][::gpu,…].' },
  KAWA_ERR_BAD_MEMORY: {
    status: 400,
    description: 'A memory size is not a number with an optional unit (K, M, G, T, Ki, Mi, Gi, Ti).',
  },
  KAWA_ERR_BAD_CORES: {
    status: 400,
    description: 'Cores is negative, not a number, or larger than any machine could have.',
  },
  KAWA_ERR_EMPTY_COMMAND: { status: 400, description: 'The command argv is empty or its first element is empty.' },
  KAWA_ERR_BAD_ENV: { status: 400, description: 'An environment variable name or value is not allowed.' },
  KAWA_ERR_BAD_ENV_NAME: {
    status: 400,
    description:
      'An env name is empty, over 64 characters, or holds characters other than lowercase letters, digits, "_", "." and "-" (or "..").',
  },
  KAWA_ERR_BAD_IMAGE: {
    status: 400,
    description: 'An image reference is not of the form [registry/]name[:tag][@digest].',
  },
  KAWA_ERR_BAD_MOUNT: {
    status: 400,
    description:
      'A mount is not HOST:CONTAINER[:ro] with normalised absolute paths, or collides with /shared or /local_temp.',
  },
  KAWA_ERR_BAD_SWEEP: {
    status: 400,
    description: 'A span: argument is malformed, or the sweep expands to more than 10,000 tasks.',
  },
  KAWA_ERR_BAD_PUBLIC_KEY: {
    status: 400,
    description: 'The VPS key is not one OpenSSH public key line of an accepted type.',
  },
  KAWA_ERR_NOT_A_VPS: { status: 400, description: 'The task is a command task; SSH and VPS actions need a VPS.' },
  KAWA_ERR_UNAUTHORIZED: {
    status: 401,
    description: 'The request carries no token, or a token the host does not know.',
  },
  KAWA_ERR_FORBIDDEN: {
    status: 403,
    description: 'The token is valid but may not do this (for example a join token used on the API).',
  },
  KAWA_ERR_MOUNT_NOT_ALLOWED: {
    status: 403,
    description: 'A mount’s host path is not under any path in the host’s mount_allow_list.',
  },
  KAWA_ERR_UNSAFE_PATH: {
    status: 403,
    description: 'A log or tarball path under the shared dir is a symlink or leads outside it.',
  },
  KAWA_ERR_NOT_FOUND: { status: 404, description: 'No such route.' },
  KAWA_ERR_ENV_NOT_FOUND: {
    status: 404,
    description: 'No tarball exists for this env; create one with kawa docker tar create.',
  },
  KAWA_ERR_CONTAINER_NOT_FOUND: { status: 404, description: 'No host container kawa-env-NAME exists.' },
  KAWA_ERR_IMAGE_NOT_FOUND: {
    status: 404,
    description: 'The image is not present in the local Docker Engine (Kawa never pulls for envs).',
  },
  KAWA_ERR_TARBALL_NOT_FOUND: { status: 404, description: 'The env has no tarball of this version.' },
  KAWA_ERR_TASK_NOT_FOUND: { status: 404, description: 'No task has this id.' },
  KAWA_ERR_BATCH_NOT_FOUND: { status: 404, description: 'No batch has this id.' },
  KAWA_ERR_NODE_NOT_FOUND: { status: 404, description: 'No node has this name.' },
  KAWA_ERR_USER_NOT_FOUND: { status: 404, description: 'No user has this name; kawa user list shows them.' },
  KAWA_ERR_TOKEN_NOT_FOUND: { status: 404, description: 'No API token has this id; kawa token list shows them.' },
  KAWA_ERR_METHOD_NOT_ALLOWED: { status: 405, description: 'The route exists but not for this HTTP method.' },
  KAWA_ERR_TIMEOUT: { status: 408, description: 'A wait ended before the task reached a final state.' },
  KAWA_ERR_INVALID_STATE: {
    status: 409,
    description: 'The task is in a state where this action does not apply (for example pausing a finished task).',
  },
  KAWA_ERR_CONTAINER_EXISTS: { status: 409, description: 'A host container with this env name already exists.' },
  KAWA_ERR_USER_EXISTS: { status: 409, description: 'A user with this name already exists.' },
  KAWA_ERR_CONTAINER_NOT_RUNNING: {
    status: 409,
    description: 'The host container is stopped; start it before opening a shell or committing it.',
  },
  KAWA_ERR_NODE_NAME_IN_USE: {
    status: 409,
    description: 'A runner tried to register under a name another connected runner holds.',
  },
  KAWA_ERR_PAYLOAD_TOO_LARGE: { status: 413, description: 'The body or frame is larger than the host accepts.' },
  KAWA_ERR_REQUEST_TIMEOUT: {
    status: 408,
    description: 'The client sent its headers or body too slowly (host.headers_timeout, host.request_timeout).',
  },
  KAWA_ERR_HEADERS_TOO_LARGE: { status: 431, description: 'The request headers are larger than the host accepts.' },
  KAWA_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The body is not application/json.' },
  KAWA_ERR_BAD_RANGE: { status: 416, description: 'A log byte range starts beyond the end of the log.' },
  KAWA_ERR_UNSATISFIABLE: {
    status: 422,
    description: 'The request can never fit the named node (for example more cores than it has).',
  },
  KAWA_ERR_SPAWN_FAILED: {
    status: 422,
    description: 'The node could not start the command: not found, not executable, or the working dir is missing.',
  },
  KAWA_ERR_CGROUP_UNAVAILABLE: {
    status: 422,
    description: 'The task asks for CPU or memory limits but the runner cannot create cgroups.',
  },
  KAWA_ERR_NUMA_UNAVAILABLE: {
    status: 422,
    description: 'The task names a NUMA zone the node does not have, or numactl is missing.',
  },
  KAWA_ERR_VPS_NO_SSHD: {
    status: 422,
    description: 'The VPS image has no OpenSSH server (/usr/sbin/sshd); use an image with openssh-server installed.',
  },
  KAWA_ERR_ENV_SYNC_FAILED: {
    status: 422,
    description:
      'The node could not load the env tarball (corrupt or unreadable) or pull the image; the message says why.',
  },
  KAWA_ERR_INTERNAL: { status: 500, description: 'A bug in Kawa. The host log has the details.' },
  KAWA_ERR_NOT_IMPLEMENTED: { status: 501, description: 'The feature is not built yet; the message says which.' },
  KAWA_ERR_DOCKER_FAILED: {
    status: 502,
    description: 'The Docker Engine refused or failed an operation; the message carries its answer.',
  },
  KAWA_ERR_DOCKER_UNAVAILABLE: {
    status: 503,
    description: 'The Docker Engine does not answer on the configured socket (docker_socket).',
  },
  KAWA_ERR_RUNNER_UNAVAILABLE: {
    status: 503,
    description: 'The task’s node is not connected, so the action cannot reach it.',
  },
  KAWA_ERR_HOST_UNREACHABLE: { status: 503, description: 'The client cannot connect to the host (CLI only).' },
  KAWA_ERR_RUNNER_TIMEOUT: { status: 504, description: 'The node did not answer an action in time.' },
  KAWA_ERR_CONFIG: {
    status: 400,
    description: 'A config file or KAWA_* variable has an invalid value (CLI and daemons).',
  },
  KAWA_ERR_USAGE: { status: 400, description: 'The command line is wrong (CLI only).' },
  KAWA_ERR_PROTOCOL: { status: 400, description: 'A runner-link frame failed validation.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof errorCodes;
export const errorCodeList = Object.keys(errorCodes) as ErrorCode[];
export const ErrorCodeSchema = z.enum(errorCodeList as [ErrorCode, ...ErrorCode[]]);

/** The body of every error answer. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** The one error type of expected failures. Anything else that is thrown is a bug. */
export class KawaError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'KawaError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.details = options.details;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isKawaError(value: unknown): value is KawaError {
  return value instanceof KawaError;
}

/**
 * Turns a zod failure into a KawaError. A schema can name the code of a failed check by
 * putting `{ kawaCode }` in the issue's params (see `codedIssue`); otherwise the code is
 * KAWA_ERR_BAD_REQUEST.
 */
export function fromZodError(error: z.ZodError, what: string): KawaError {
  const first = error.issues[0];
  const params = first && 'params' in first ? (first.params as { kawaCode?: ErrorCode } | undefined) : undefined;
  const code = params?.kawaCode ?? 'KAWA_ERR_BAD_REQUEST';
  const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  const message = first ? `${what}: ${first.message}${where}` : `${what} is invalid`;
  return new KawaError(code, message, {
    details: error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
  });
}

/** Parses `value` with `schema`, throwing a coded KawaError on failure. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error, what);
  return result.data;
}

/** Adds a custom issue that carries a Kawa error code, for use inside refinements. */
export function codedIssue(ctx: z.RefinementCtx, kawaCode: ErrorCode, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: { kawaCode } });
}
