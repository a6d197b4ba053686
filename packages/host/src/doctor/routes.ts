import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARED_PROBE_DIR } from '@kawa/protocol';
import type { RouteHandlers } from '../http/route-table.js';

/**
 * `kawa doctor`'s shared-dir check: whether the probe file a node wrote is here with the same
 * content. The name is 32 hex digits (the schema), so the path stays inside the probe dir.
 */
export function doctorRouteHandlers(sharedDir: string): Pick<RouteHandlers, 'doctorSharedProbe'> {
  return {
    doctorSharedProbe: async ({ body }) => {
      const text = await readFile(join(sharedDir, SHARED_PROBE_DIR, body.name), 'utf8').catch(() => null);
      return { found: text !== null, matches: text === body.content, sharedDir };
    },
  };
}
