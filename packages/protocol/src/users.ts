import { z } from 'zod';

/**
 * Users and their API tokens, and the audit log. Admin routes (routes.ts): only an admin token
 * may add users, make or revoke tokens and read the audit log.
 */

/** A user name: lowercase letter first, then lowercase letters, digits, `_` and `-`; 1–32 long. */
export const USER_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
/** Taken by the cluster join token's pseudo-user; no API user may have it. */
export const RESERVED_USER_NAMES: readonly string[] = ['runner'];

export const UserNameSchema = z
  .string()
  .regex(USER_NAME_PATTERN, 'a user name is 1–32 of a-z, 0-9, "_" and "-", starting with a letter')
  .refine((name) => !RESERVED_USER_NAMES.includes(name), 'this user name is reserved');

export const UserSchema = z.object({
  name: z.string(),
  admin: z.boolean(),
  createdAt: z.number().int(),
  /** API tokens of the user that are not revoked. */
  activeTokens: z.number().int().nonnegative(),
});
export type User = z.infer<typeof UserSchema>;

export const CreateUserRequestSchema = z.strictObject({
  name: UserNameSchema,
  admin: z.boolean().default(false),
});
export type CreateUserRequest = z.input<typeof CreateUserRequestSchema>;

/** An API token as listed: its id and the first characters, never the token. */
export const ApiTokenSchema = z.object({
  id: z.number().int().positive(),
  user: z.string(),
  /** The token's first characters, to tell tokens apart; empty for tokens made before ids. */
  prefix: z.string(),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;

/** The one answer that carries a token's text; the host keeps only its hash. */
export const NewTokenResponseSchema = z.object({
  user: UserSchema,
  token: ApiTokenSchema,
  secret: z.string(),
});
export type NewTokenResponse = z.infer<typeof NewTokenResponseSchema>;

export const UserParamsSchema = z.strictObject({ name: UserNameSchema });
export const TokenIdParamsSchema = z.strictObject({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 53 - 1),
});
export const ListTokensQuerySchema = z.strictObject({ user: UserNameSchema.optional() });

/** What happened to an audited action: done, refused with a 4xx, or failed with a 5xx. */
export const auditOutcomes = ['ok', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

export const AuditEntrySchema = z.object({
  id: z.number().int().positive(),
  at: z.number().int(),
  user: z.string(),
  /** For example `task.submit`, `task.kill`, `batch.kill`, `ssh`, `terminal`, `env.tar.create`. */
  action: z.string(),
  /** What it acted on: `task 42`, `batch 7`, `env base`, `user alice`, `token 3`. */
  target: z.string(),
  outcome: z.enum(auditOutcomes),
  /** The error code of a refusal or failure. */
  code: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const ListAuditQuerySchema = z.strictObject({
  user: UserNameSchema.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});
