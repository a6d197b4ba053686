import { z } from 'zod';

/**
 * `kawa doctor` writes a probe file into its node's shared dir and asks the host whether the
 * same file, with the same content, is in the host's shared dir: the two paths must be one
 * storage (NFS or the like) for logs and env tarballs to work.
 */
export const SharedProbeRequestSchema = z.strictObject({
  /** The probe's file name under <shared_dir>/.kawa-doctor/: random hex, nothing to escape with. */
  name: z.string().regex(/^[a-f0-9]{32}$/, 'name must be 32 lowercase hex digits'),
  /** What the probe file holds. */
  content: z.string().regex(/^[a-f0-9]{64}$/, 'content must be 64 lowercase hex digits'),
});
export type SharedProbeRequest = z.infer<typeof SharedProbeRequestSchema>;

export const SharedProbeResponseSchema = z.object({
  /** Whether the host sees a file of that name. */
  found: z.boolean(),
  /** Whether it holds the same content. */
  matches: z.boolean(),
  /** The host's shared_dir, so a mismatch can say which paths differ. */
  sharedDir: z.string(),
});
export type SharedProbeResponse = z.infer<typeof SharedProbeResponseSchema>;

/** The probe dir under a shared dir. */
export const SHARED_PROBE_DIR = '.kawa-doctor';
