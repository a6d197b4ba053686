import { z } from 'zod';
import { ImageRefSchema } from './envs.js';
import { codedIssue } from './errors.js';
import { TargetInputSchema } from './targets.js';
import { ContainerNameSchema, TaskIdParamsSchema } from './task.js';
import { CoresSchema, MemoryInputSchema } from './units.js';

/**
 * VPS tasks: persistent containers `kawa-vps-<id>` running sshd, reached only through the host
 * (`kawa ssh`), never on a runner port. They are tasks with `kind: 'vps'`.
 */

export const TaskKindSchema = z.enum(['command', 'vps']);
export type TaskKind = z.infer<typeof TaskKindSchema>;

/** OpenSSH public key types Kawa accepts in authorized_keys. */
const KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
];
/** `type base64 [comment]` on one line; no options prefix (no `command=`, `from=` …). */
const PUBLIC_KEY_PATTERN = /^(\S+) ([A-Za-z0-9+/]+={0,3})(?: ([^\r\n]{0,200}))?$/;

/** Why `text` is not one OpenSSH public key line, or null. */
export function publicKeyProblem(text: string): string | null {
  const line = text.trim();
  if (line.includes('\n')) return 'give exactly one public key (one line)';
  const match = PUBLIC_KEY_PATTERN.exec(line);
  if (!match)
    return 'not an OpenSSH public key: expected "ssh-ed25519 AAAA… [comment]" (the .pub file, not the private key)';
  const [, type = '', body = ''] = match;
  if (!KEY_TYPES.includes(type)) return `key type ${type} is not accepted (use one of ${KEY_TYPES.join(', ')})`;
  if (body.length < 60 || body.length > 16_384) return 'the key body has an implausible length';
  return null;
}

export const PublicKeySchema = z
  .string()
  .max(17_000)
  .transform((text) => text.trim())
  .superRefine((text, ctx) => {
    const problem = publicKeyProblem(text);
    if (problem !== null) codedIssue(ctx, 'KAWA_ERR_BAD_PUBLIC_KEY', problem);
  });

/** POST /api/v1/vps. */
export const CreateVpsRequestSchema = z
  .strictObject({
    /** Where to run it; omitted: the scheduler picks. At most one target (one VPS per create). */
    target: TargetInputSchema.nullable().default(null),
    /** 0: no CPU limit (the default for a VPS). */
    cores: CoresSchema.default(0),
    memory: MemoryInputSchema.nullable().default(null),
    gpus: z.number().int().min(0).max(64).default(0),
    /** An env (synced like any task's) or a registry image; omitted: the host's default env. */
    container: ContainerNameSchema.optional(),
    image: ImageRefSchema.optional(),
    publicKey: PublicKeySchema,
  })
  .superRefine((request, ctx) => {
    if (request.container === 'NULL')
      codedIssue(ctx, 'KAWA_ERR_BAD_REQUEST', 'a VPS is a container: give an env or an image, not NULL');
    if (request.image !== undefined && request.container !== undefined)
      codedIssue(ctx, 'KAWA_ERR_BAD_REQUEST', 'give --container or --image, not both');
    if (request.gpus > 0 && request.target !== null && request.target.gpus.length > 0)
      codedIssue(ctx, 'KAWA_ERR_BAD_TARGET', 'give GPU ids in the target or a count with --gpus, not both');
  });
export type CreateVpsInput = z.input<typeof CreateVpsRequestSchema>;
export type CreateVpsRequest = z.output<typeof CreateVpsRequestSchema>;

export const VpsIdParamsSchema = TaskIdParamsSchema;

/** Where a terminal or SSH stream goes. */
export const StreamKindSchema = z.enum(['ssh', 'terminal']);
export type StreamKind = z.infer<typeof StreamKindSchema>;

/**
 * Reverse streams. The host asks the runner over its link to open one (`stream-open`); the
 * runner dials back a WebSocket to `RUNNER_STREAM_PATH` with its join token and the stream id,
 * then pipes bytes: for `ssh` to 127.0.0.1:<the VPS's published port>, for `terminal` to a
 * `docker exec` TTY in the task's container (same frames as host-container terminals).
 */
export const RUNNER_STREAM_PATH = '/api/v1/runner-link/streams/:streamId';
export const StreamIdParamsSchema = z.strictObject({ streamId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) });
