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

/*
 * dockerode is bundled, without two transports Kawa never uses: ssh2 (docker-modem's
 * `ssh://` Docker hosts; Kawa talks to a local socket, `docker_socket`) and gRPC (dockerode's
 * BuildKit sessions for `buildImage`; Kawa loads and runs images, it never builds them). Both
 * are loaded at start by dockerode and would cost an idle runner about 25 MB of its memory
 * (its issue-9 budget is 60 MB). A call that reaches one throws and says why.
 */
const LEFT_OUT = ['ssh2', '@grpc/grpc-js', '@grpc/proto-loader'];
const leaveOutUnusedTransports = {
  name: 'kawa-left-out',
  setup(builder) {
    const filter = new RegExp(`^(${LEFT_OUT.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`);
    builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'kawa-left-out' }));
    builder.onLoad({ filter: /.*/, namespace: 'kawa-left-out' }, (args) => ({
      loader: 'js',
      contents: `const why = ${JSON.stringify(
        `${args.path} is left out of the kawa bundle: Kawa reaches Docker through a local socket and never builds images`,
      )};
function leftOut() { throw new Error(why); }
module.exports = new Proxy({}, { get: (_target, name) => (name === '__esModule' ? false : leftOut) });`,
    }));
  },
};

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
  plugins: [versionFromPackageJson, leaveOutUnusedTransports],
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
