#!/usr/bin/env node
// Bundles the `kawa` and `kawarun` bins (CLI, host, runner and the workspace packages they
// import) into dist/, and copies the built dashboard into web/, so the package installs from
// its tarball alone: `npm pack` → `npm i -g ./kawa-<v>.tgz`. Native or heavy modules that
// cannot be bundled stay external and are real dependencies in package.json.
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// Everything kawa lists as a dependency is loaded from node_modules at run time.
const external = Object.keys(pkg.dependencies ?? {});

// The CLI reads its version from "../package.json" next to its compiled file; in the bundle
// that path no longer points at a package.json, so the version is written in at build time.
const versionFromPackageJson = {
  name: 'kawa-version',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]packages[\\/]cli[\\/]dist[\\/](program|kawarun[\\/]main)\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const pattern = /createRequire\(import\.meta\.url\)\('(\.\.\/)+package\.json'\)/;
      if (!pattern.test(source)) throw new Error(`${args.path}: the version lookup changed; update scripts/bundle.mjs`);
      return { contents: source.replace(pattern, JSON.stringify({ version: pkg.version })), loader: 'js' };
    });
  },
};

// dist/tsc is tsc's type-check output (tsconfig.json); everything else in dist/ is ours. The
// chunk names carry content hashes, so old ones are removed rather than overwritten.
const dist = join(root, 'dist');
if (existsSync(dist)) {
  for (const entry of readdirSync(dist))
    if (entry !== 'tsc') rmSync(join(dist, entry), { recursive: true, force: true });
}
await build({
  entryPoints: { main: join(root, 'src/main.ts'), kawarun: join(root, 'src/kawarun.ts') },
  outdir: dist,
  bundle: true,
  // Split so the short CLI commands do not parse Fastify, SQLite and the executors at start:
  // the daemons load them with a dynamic import, which becomes a separate chunk.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [versionFromPackageJson],
  // Bundled CommonJS modules call require() for Node's built-ins; ESM has none, so make one.
  banner: {
    js: "import { createRequire as __kawaCreateRequire } from 'node:module'; const require = __kawaCreateRequire(import.meta.url);",
  },
});

const webDist = join(root, '..', 'web', 'dist');
if (!existsSync(join(webDist, 'index.html'))) {
  console.error(`bundle: ${webDist} is not built; run npm run build -w @kawa/web first`);
  process.exit(1);
}
cpSync(webDist, join(dist, 'web'), { recursive: true });
