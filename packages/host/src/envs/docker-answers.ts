import { z } from 'zod';
import { KawaError } from '@kawa/protocol';

/**
 * The parts of the Engine's answers Kawa reads. The Engine is outside the host, so its answers
 * are parsed like any other input; unknown fields are ignored.
 */
export const ContainerListEntrySchema = z.object({
  Id: z.string(),
  Names: z.array(z.string()),
  Image: z.string(),
  State: z.string(),
  Status: z.string(),
  /** Unix seconds. */
  Created: z.number(),
  Labels: z.record(z.string(), z.string()).nullable().optional(),
});

export const ImageInspectSchema = z.object({
  Id: z.string(),
  Size: z.number(),
  Config: z
    .object({
      Cmd: z.array(z.string()).nullable().optional(),
      Entrypoint: z.array(z.string()).nullable().optional(),
    })
    .nullable()
    .optional(),
});

export const CommitAnswerSchema = z.object({ Id: z.string() });

export const ExecInspectSchema = z.object({
  Running: z.boolean(),
  ExitCode: z.number().int().nullable(),
});

/** Parses an Engine answer; one Kawa does not understand is the Engine failing, not the client. */
export function parseAnswer<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new KawaError(
      'KAWA_ERR_DOCKER_FAILED',
      `the Docker Engine gave an unexpected ${what}: ${result.error.message}`,
    );
  return result.data;
}
