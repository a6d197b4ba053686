import type { Command } from 'commander';
import type { EnvTarballs, TarballVersion } from '@kawa/protocol';
import type { CliContext } from '../../../context.js';
import { formatAge, formatBytes } from '../../../output/format.js';
import { writeJson } from '../../../output/json.js';
import { renderTable, type Column } from '../../../output/table.js';

const envColumns: Column[] = [
  { header: 'NAME', flex: true },
  { header: 'VERSIONS', align: 'right' },
  { header: 'NEWEST', align: 'right' },
  { header: 'SIZE', align: 'right' },
  { header: 'AGE', align: 'right' },
];

const versionColumns: Column[] = [
  { header: 'NAME', flex: true },
  { header: 'VERSION', align: 'right' },
  { header: 'SIZE', align: 'right' },
  { header: 'AGE', align: 'right' },
  { header: 'IMAGE ID' },
];

function age(version: TarballVersion, now: number): string {
  return `${formatAge(version.createdAt, now)} ago`;
}

/** "3f2a9c0d1b7e" from "sha256:3f2a9c0d1b7e…", as `docker images` shows ids. */
function shortImageId(imageId: string | null): string {
  return imageId === null ? '-' : imageId.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * One row per env (its newest version: what runners load), or with `all` one row per version.
 * Versions are the unix timestamps in the file names, as `tar delete --version` takes them.
 */
export function renderTarballList(envs: readonly EnvTarballs[], all: boolean, now = Date.now()): string {
  if (envs.length === 0) return 'no env tarballs: make one with `kawa docker tar create NAME`\n';
  if (all) {
    const rows = envs.flatMap((env) =>
      env.versions.map((version) => [
        env.name,
        String(version.version),
        formatBytes(version.bytes),
        age(version, now),
        shortImageId(version.imageId),
      ]),
    );
    return renderTable(versionColumns, rows);
  }
  const rows = envs.map((env) => {
    const newest = env.versions[0];
    return [
      env.name,
      String(env.versions.length),
      newest ? String(newest.version) : '-',
      newest ? formatBytes(newest.bytes) : '-',
      newest ? age(newest, now) : '-',
    ];
  });
  return renderTable(envColumns, rows);
}

export function registerTarList(tar: Command, context: CliContext): void {
  tar
    .command('list')
    .alias('ls')
    .summary('list env tarballs: one row per env, newest version first')
    .option('--all', 'one row per tarball version')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: { all?: boolean; json?: boolean }) => {
        const answer = await context.client().call('listTarballs');
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(renderTarballList(answer.envs, options.all === true));
        return 0;
      }),
    );
}
