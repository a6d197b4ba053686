import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The built web dashboard: the `dist` dir of the @kawa/web package, found the way Node finds
 * any package, so a checkout (workspace link) and an installed kawa both work. Null when the
 * package is not there at all.
 */
export function webAssetsDir(): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@kawa/web/package.json')), 'dist');
  } catch {
    return null;
  }
}

/** What the banners say about the dashboard at `url`. */
export function dashboardLine(url: string, webRoot: string | null): string {
  return webRoot !== null && existsSync(join(webRoot, 'index.html'))
    ? `${url}/`
    : `${url}/ (not built: run npm run build in the Kawa checkout)`;
}
