import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errnoCode } from '../util/errno.js';

/**
 * `<state_dir>/tasks/<id>.exit`: the exit status of a no-Docker task, written by the spawn
 * helper (its parent) when the runner may not be there to hear it. The task table lists only
 * `<id>.json`, so the two never mix.
 */
export const exitFilePath = (tableDir: string, taskId: number): string => join(tableDir, `${taskId}.exit`);

const ExitFileSchema = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
});

export interface RecordedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The recorded exit, or null when there is none (yet) or it cannot be read. */
export async function readExitFile(path: string): Promise<RecordedExit | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
  try {
    const parsed = ExitFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return null;
    return { code: parsed.data.code, signal: parsed.data.signal as NodeJS.Signals | null };
  } catch {
    // The helper renames a complete file into place; a torn one is not its.
    return null;
  }
}

export function removeExitFile(path: string): Promise<void> {
  return rm(path, { force: true });
}
