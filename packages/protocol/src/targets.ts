import { z } from 'zod';
import { codedIssue } from './errors.js';

/** Node names: what hostnames allow, 1–63 characters. */
export const NODE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const NodeNameSchema = z
  .string()
  .regex(NODE_NAME_PATTERN, 'a node name is 1-63 letters, digits, "_", "." or "-"');

/** A parsed target: `node`, `node:NUMA`, `node::GPU[,GPU…]`, `node:NUMA::GPU…`. */
export interface Target {
  node: string;
  numa: number | null;
  gpus: number[];
}

const targetPattern = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})(?::(\d{1,4}))?(?:::(\d{1,4}(?:,\d{1,4})*))?$/;

export function parseTarget(text: string): Target | null {
  const match = targetPattern.exec(text);
  if (!match) return null;
  const gpus = match[3] === undefined ? [] : match[3].split(',').map(Number);
  if (new Set(gpus).size !== gpus.length) return null;
  return { node: match[1] as string, numa: match[2] === undefined ? null : Number(match[2]), gpus };
}

export function formatTarget(target: Target): string {
  const numa = target.numa === null ? '' : `:${target.numa}`;
  const gpus = target.gpus.length === 0 ? '' : `::${target.gpus.join(',')}`;
  return `${target.node}${numa}${gpus}`;
}

export const TargetSchema = z.object({
  node: z.string(),
  numa: z.number().int().nullable(),
  gpus: z.array(z.number().int()),
});

/** A target string as given by a client, parsed into a Target. */
export const TargetInputSchema = z
  .string()
  .max(200)
  .transform((text, ctx) => {
    const target = parseTarget(text);
    if (!target) {
      codedIssue(ctx, 'KAWA_ERR_BAD_TARGET', `target "${text}" is not of the form node[:numa][::gpu,gpu…]`);
      return z.NEVER;
    }
    return target;
  });
