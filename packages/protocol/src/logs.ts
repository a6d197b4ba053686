import { z } from 'zod';

export const LogStreamSchema = z.enum(['stdout', 'stderr']);
export type LogStream = z.infer<typeof LogStreamSchema>;

const flag = z.enum(['true', 'false', '1', '0']).transform((text) => text === 'true' || text === '1');

/**
 * GET /api/v1/tasks/:id/logs. With `tail`, the last N lines. With `offset` (and `length`), a
 * byte range. With `follow`, the answer streams new output until the task ends.
 * The answer is text/plain; header `x-kawa-log-size` holds the log's size in bytes.
 */
export const LogsQuerySchema = z
  .strictObject({
    stream: LogStreamSchema.default('stdout'),
    tail: z.coerce.number().int().min(0).max(1_000_000).optional(),
    offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    length: z.coerce
      .number()
      .int()
      .min(1)
      .max(1 << 30)
      .optional(),
    follow: flag.default(false),
  })
  .refine((query) => !(query.tail !== undefined && query.offset !== undefined), 'give tail or offset, not both');
export type LogsQuery = z.output<typeof LogsQuerySchema>;

export const LOG_SIZE_HEADER = 'x-kawa-log-size';
export const logFileName = (stream: LogStream): string => `${stream}.log`;
