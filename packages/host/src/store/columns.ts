import { z } from 'zod';
import {
  MountSchema,
  NodeResourcesSchema,
  NodeUsageSchema,
  SyncProgressSchema,
  TargetSchema,
  TaskKindSchema,
  TaskStatusSchema,
  type Mount,
  type SyncProgress,
  type TaskKind,
  type TaskStatus,
} from '@kawa/protocol';

/**
 * Decoders for the JSON and enum columns. The database is ours, but a row read back is
 * still checked so that a bad row fails loudly here instead of deep inside a handler.
 */
const StringArray = z.array(z.string());
const StringRecord = z.record(z.string(), z.string());
const IntArray = z.array(z.number().int());
const Mounts = z.array(MountSchema);

function decodeJson<S extends z.ZodType>(schema: S, text: string, column: string): z.output<S> {
  const result = schema.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`corrupt ${column} column: ${result.error.message}`);
  return result.data;
}

export const decodeStringArray = (text: string, column: string): string[] => decodeJson(StringArray, text, column);
export const decodeStringRecord = (text: string, column: string): Record<string, string> =>
  decodeJson(StringRecord, text, column);
export const decodeIntArray = (text: string, column: string): number[] => decodeJson(IntArray, text, column);
export const decodeTarget = (text: string): z.output<typeof TargetSchema> =>
  decodeJson(TargetSchema, text, 'tasks.target');
export const decodeMounts = (text: string): Mount[] => decodeJson(Mounts, text, 'tasks.mounts');
export const decodeSyncProgress = (text: string): SyncProgress =>
  decodeJson(SyncProgressSchema, text, 'tasks.sync_progress');
export const decodeResources = (text: string): z.output<typeof NodeResourcesSchema> =>
  decodeJson(NodeResourcesSchema, text, 'nodes.resources');
export const decodeUsage = (text: string): z.output<typeof NodeUsageSchema> =>
  decodeJson(NodeUsageSchema, text, 'nodes.usage');

export function decodeStatus(text: string): TaskStatus {
  const result = TaskStatusSchema.safeParse(text);
  if (!result.success) throw new Error(`corrupt task status "${text}"`);
  return result.data;
}

export function decodeKind(text: string): TaskKind {
  const result = TaskKindSchema.safeParse(text);
  if (!result.success) throw new Error(`corrupt task kind "${text}"`);
  return result.data;
}
