import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built web dashboard. An installed kawa carries it in `dist/web`, next to the
 * bundled code (scripts/bundle.mjs copies it there); a checkout run from source finds the
 * `dist` dir of the @kawa/web package the way Node finds any package. Null when neither is
 * there.
 */
export function webAssetsDir(): string | null {
  const bundled = join(dirname(fileURLToPath(import.meta.url)), 'web');
  if (existsSync(join(bundled, 'index.html'))) return bundled;
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
