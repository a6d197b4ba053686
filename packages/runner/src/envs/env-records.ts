import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What this runner loaded last for an env: the tarball version and the image id the load
 * produced. It lets the runner skip a reload when the tarball has no metadata file, and it
 * survives runner restarts (the image store does too).
 */
export const EnvRecordSchema = z.object({
  version: z.number().int().min(0),
  bytes: z.number().int().min(0),
  imageId: z.string().min(1),
  loadedAt: z.number().int(),
});
export type EnvRecord = z.infer<typeof EnvRecordSchema>;

export interface EnvRecords {
  readonly dir: string;
  /** null when there is none or it does not parse (then the env is simply loaded again). */
  get(env: string): Promise<EnvRecord | null>;
  put(env: string, record: EnvRecord): Promise<void>;
}

/** Records under `<state_dir>/envs/<env>.json`, written to a temp file and renamed into place. */
export function envRecordsIn(stateDir: string): EnvRecords {
  const dir = join(stateDir, 'envs');
  return {
    dir,
    async get(env) {
      try {
        const parsed = EnvRecordSchema.safeParse(JSON.parse(await readFile(join(dir, `${env}.json`), 'utf8')));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
    async put(env, record) {
      await mkdir(dir, { recursive: true });
      // Env names hold no "/" and no ".." (envNameProblem), so they are safe file names.
      const temp = join(dir, `.${env}.json.tmp`);
      await writeFile(temp, JSON.stringify(record));
      await rename(temp, join(dir, `${env}.json`));
    },
  };
}
