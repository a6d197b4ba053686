import { z } from 'zod';
import { codedIssue } from './errors.js';

/**
 * Environments: Docker images prepared on the host, packed as tarballs under
 * `<shared>/containers/<name>/<unix-ts>.tar`, and loaded by every runner as `kawa/<name>:base`.
 */

/** 1–64 characters: lowercase letters, digits, `_`, `.`, `-`; starts with a letter or digit; no `..`. */
export const DOCKER_ENV_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
export const DOCKER_ENV_NAME_MAX = 64;

/** Why `name` is not a valid env name, or null when it is. */
export function envNameProblem(name: string): string | null {
  if (name.length === 0) return 'an env name cannot be empty';
  if (name.length > DOCKER_ENV_NAME_MAX)
    return `an env name has at most ${DOCKER_ENV_NAME_MAX} characters (got ${name.length})`;
  if (name === 'NULL') return 'NULL is reserved: it selects the no-Docker executor';
  if (!DOCKER_ENV_NAME_PATTERN.test(name))
    return `env name "${name}" may only hold lowercase letters, digits, "_", "." and "-", and must start with a letter or digit`;
  if (name.includes('..')) return `env name "${name}" must not contain ".."`;
  return null;
}

export const EnvNameSchema = z.string().superRefine((name, ctx) => {
  const problem = envNameProblem(name);
  if (problem !== null) codedIssue(ctx, 'KAWA_ERR_BAD_ENV_NAME', problem);
});

/** The image an env's tarball holds, and the tag a runner loads it under. */
export const envImageTag = (name: string): string => `kawa/${name}:base`;
/** The persistent host container an env is prepared in. */
export const envContainerName = (name: string): string => `kawa-env-${name}`;

/** A finished tarball is `<unix-ts>.tar`; anything else in the env's dir (temp files) is ignored. */
export const TARBALL_FILE_PATTERN = /^(\d{1,12})\.tar$/;
export const tarballFileName = (version: number): string => `${version}.tar`;
/**
 * Written next to a tarball before the tarball is renamed into place: the image id it holds,
 * so a runner whose local image already has that id skips the load.
 */
export const tarballMetaFileName = (version: number): string => `${version}.json`;
export const TarballMetaSchema = z.object({
  imageId: z.string().min(1).max(200),
  bytes: z.number().int().min(0),
  createdAt: z.number().int(),
});
export type TarballMeta = z.infer<typeof TarballMetaSchema>;

/**
 * A registry image reference as Docker accepts it: [registry[:port]/]path[:tag][@sha256:digest].
 * Kept strict so no odd string reaches the engine.
 */
export const IMAGE_REF_PATTERN =
  /^(?:[a-zA-Z0-9][a-zA-Z0-9.-]*(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
export const ImageRefSchema = z
  .string()
  .max(512)
  .superRefine((ref, ctx) => {
    if (!IMAGE_REF_PATTERN.test(ref))
      codedIssue(
        ctx,
        'KAWA_ERR_BAD_IMAGE',
        `"${ref}" is not an image reference like debian:12 or registry:5000/team/img:tag`,
      );
  });

// ---------------------------------------------------------------------------------------------
// Host containers (kawa docker container …)

export const HostContainerStateSchema = z.enum([
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'dead',
  'removing',
]);
export const HostContainerSchema = z.object({
  /** The env name; the Docker container is `kawa-env-<name>`. */
  name: z.string(),
  containerId: z.string(),
  image: z.string(),
  state: HostContainerStateSchema,
  /** Docker's human status, for example "Up 3 minutes". */
  statusText: z.string(),
  createdAt: z.number().int(),
});
export type HostContainer = z.infer<typeof HostContainerSchema>;
export const HostContainerListResponseSchema = z.object({ containers: z.array(HostContainerSchema) });
export const EnvNameParamsSchema = z.strictObject({ name: EnvNameSchema });
export const CreateHostContainerRequestSchema = z.strictObject({
  /** A locally present image; the host never pulls for this. */
  image: ImageRefSchema,
  name: EnvNameSchema,
});

// ---------------------------------------------------------------------------------------------
// Tarballs (kawa docker tar …)

export const TarballVersionSchema = z.object({
  /** The unix timestamp in the file name. */
  version: z.number().int(),
  bytes: z.number().int(),
  createdAt: z.number().int(),
  /** Image id from the metadata file; null when it is missing. */
  imageId: z.string().nullable(),
});
export type TarballVersion = z.infer<typeof TarballVersionSchema>;
export const EnvTarballsSchema = z.object({
  name: z.string(),
  /** Newest first. */
  versions: z.array(TarballVersionSchema),
});
export type EnvTarballs = z.infer<typeof EnvTarballsSchema>;
export const TarballListResponseSchema = z.object({ envs: z.array(EnvTarballsSchema) });
export const DeleteTarballQuerySchema = z.strictObject({
  version: z.coerce.number().int().min(0).max(999_999_999_999).optional(),
});
export const DeleteTarballResponseSchema = z.object({ name: z.string(), deleted: z.array(z.number().int()) });

/**
 * POST /api/v1/docker/tarballs/:name answers with NDJSON: progress lines while the image is
 * committed and saved, then exactly one `done` or `error` line.
 */
export const TarCreateEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('progress'),
    phase: z.enum(['commit', 'save']),
    doneBytes: z.number().int().min(0),
    /** Estimated from the image size; null when unknown. */
    totalBytes: z.number().int().min(0).nullable(),
  }),
  z.object({
    type: z.literal('done'),
    name: z.string(),
    tarball: TarballVersionSchema,
    removed: z.array(z.number().int()),
  }),
  z.object({
    type: z.literal('error'),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  }),
]);
export type TarCreateEvent = z.infer<typeof TarCreateEventSchema>;

// ---------------------------------------------------------------------------------------------
// Terminals: WebSocket TTYs through docker exec (host containers now, tasks and VPS later).

/** Query of a terminal WebSocket: the initial size and an optional command (default: a shell). */
export const TerminalQuerySchema = z.strictObject({
  cols: z.coerce.number().int().min(1).max(1000).default(80),
  rows: z.coerce.number().int().min(1).max(1000).default(24),
  /** JSON array of argv; default tries bash, then sh. */
  command: z
    .string()
    .max(65_536)
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return undefined;
      try {
        const argv = z.array(z.string().max(4096)).min(1).max(256).parse(JSON.parse(text));
        return argv;
      } catch {
        codedIssue(ctx, 'KAWA_ERR_BAD_REQUEST', 'command must be a JSON array of strings');
        return z.NEVER;
      }
    }),
});

/**
 * Terminal frames. Binary messages carry raw bytes both ways (stdin up, TTY output down). Text
 * messages are JSON control frames of these shapes.
 */
export const TerminalClientFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('resize'),
    cols: z.number().int().min(1).max(1000),
    rows: z.number().int().min(1).max(1000),
  }),
]);
export type TerminalClientFrame = z.infer<typeof TerminalClientFrameSchema>;
export const TerminalServerFrameSchema = z.discriminatedUnion('type', [
  /** The command ended; the socket closes after this. */
  z.object({ type: z.literal('exit'), exitCode: z.number().int().nullable() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type TerminalServerFrame = z.infer<typeof TerminalServerFrameSchema>;
