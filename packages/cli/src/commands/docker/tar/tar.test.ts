import { describe, expect, it } from 'vitest';
import type { EnvTarballs, TarCreateEvent } from '@kawa/protocol';
import { errorAnswer, fakeHost, json, ndjson, runWith } from '../../../test-support.js';
import { renderTarballList } from './list.js';

const now = 1_700_000_100_000;

const progress = (phase: 'commit' | 'save', doneBytes: number, totalBytes: number | null): TarCreateEvent => ({
  type: 'progress',
  phase,
  doneBytes,
  totalBytes,
});

const done: TarCreateEvent = {
  type: 'done',
  name: 'py',
  tarball: { version: 1_700_000_000, bytes: 1e9, createdAt: now, imageId: 'sha256:3f2a9c0d1b7e4455' },
  removed: [1_699_990_000, 1_699_980_000],
};

const saving = [
  progress('commit', 0, null),
  progress('save', 100e6, 1e9),
  progress('save', 500e6, 1e9),
  progress('save', 1e9, 1e9),
];

describe('kawa docker tar create', () => {
  it('prints plain progress lines on stderr without a TTY, then the new version and the removed ones', async () => {
    const host = fakeHost({ createTarball: () => ndjson([...saving, done]) });
    const run = await runWith(['docker', 'tar', 'create', 'py'], { fetch: host.fetch });
    expect(run.code).toBe(0);
    // A line per phase; more lines of the same phase only after five seconds.
    expect(run.stderr).toBe(
      'committing kawa-env-py to kawa/py:base\nsaving kawa/py:base to a tarball 100 MB / 1.0 GB (10%)\n',
    );
    expect(run.stdout).toBe('created py version 1700000000 (1.0 GB)\nremoved 2 old versions: 1699990000, 1699980000\n');
    expect(host.requests[0]).toMatchObject({ method: 'POST', route: 'createTarball', params: { name: 'py' } });
  });

  it('draws a bar with the phase, bytes and percent on a TTY, and clears it before the result', async () => {
    const host = fakeHost({ createTarball: () => ndjson([...saving, { ...done, removed: [] }]) });
    const run = await runWith(['docker', 'tar', 'create', 'py'], { fetch: host.fetch, isTTY: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      '\r\u001b[2Ksaving kawa/py:base to a tarball ██████████░░░░░░░░░░ 500 MB / 1.0 GB (50%)',
    );
    expect(run.stderr.endsWith('\r\u001b[2K')).toBe(true);
    expect(run.stdout).toBe('created py version 1700000000 (1.0 GB)\n');
  });

  it('prints only the final event with --json', async () => {
    const host = fakeHost({ createTarball: () => ndjson([...saving, done]) });
    const run = await runWith(['docker', 'tar', 'create', 'py', '--json'], { fetch: host.fetch });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual(done);
  });

  it('exits 1 with the code of an error line, after the progress before it', async () => {
    const host = fakeHost({
      createTarball: () =>
        ndjson([
          progress('save', 100e6, 1e9),
          { type: 'error', error: { code: 'KAWA_ERR_DOCKER_FAILED', message: 'docker save: no space left on device' } },
        ]),
    });
    const run = await runWith(['docker', 'tar', 'create', 'py'], { fetch: host.fetch });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'saving kawa/py:base to a tarball 100 MB / 1.0 GB (10%)\n' +
        'error: docker save: no space left on device (KAWA_ERR_DOCKER_FAILED)\n',
    });
  });

  it('reports an error answered before the stream with the next step, exit 1', async () => {
    const host = fakeHost({
      createTarball: () => errorAnswer('KAWA_ERR_CONTAINER_NOT_RUNNING', 'kawa-env-py is exited', 409),
    });
    const run = await runWith(['docker', 'tar', 'create', 'py'], { fetch: host.fetch });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: kawa-env-py is exited; start it first: kawa docker container start py (KAWA_ERR_CONTAINER_NOT_RUNNING)\n',
    );
  });

  it('fails when the stream ends without a result, or its error code is unknown', async () => {
    const cut = await runWith(['docker', 'tar', 'create', 'py'], {
      fetch: fakeHost({ createTarball: () => ndjson(saving) }).fetch,
    });
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(
      /error: the host ended tar create py without a result; .*kawa docker tar list.*\(KAWA_ERR_INTERNAL\)\n$/,
    );
    const odd = await runWith(['docker', 'tar', 'create', 'py'], {
      fetch: fakeHost({
        createTarball: () => ndjson([{ type: 'error', error: { code: 'KAWA_ERR_NEWER', message: 'hm' } }]),
      }).fetch,
    });
    expect(odd).toMatchObject({
      code: 1,
      stderr: 'error: hm (unknown code KAWA_ERR_NEWER from the host) (KAWA_ERR_INTERNAL)\n',
    });
  });

  it('refuses a bad env name before any request, exit 2', async () => {
    const host = fakeHost({});
    const run = await runWith(['docker', 'tar', 'create', 'My Env'], { fetch: host.fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('(KAWA_ERR_BAD_ENV_NAME)');
    expect(host.requests).toHaveLength(0);
  });
});

const envs: EnvTarballs[] = [
  {
    name: 'py',
    versions: [
      { version: 1_700_000_000, bytes: 1.2e9, createdAt: now - 3_600_000, imageId: 'sha256:3f2a9c0d1b7e4455aa' },
      { version: 1_699_990_000, bytes: 1.1e9, createdAt: now - 2 * 86_400_000, imageId: null },
    ],
  },
  { name: 'empty', versions: [] },
];

describe('kawa docker tar list', () => {
  it('shows one row per env: versions, the newest version, its size and age', () => {
    expect(renderTarballList(envs, false, now).split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+VERSIONS\s+NEWEST\s+SIZE\s+AGE$/),
      expect.stringMatching(/^py\s+2\s+1700000000\s+1\.2 GB\s+1h ago$/),
      expect.stringMatching(/^empty\s+0\s+-\s+-\s+-$/),
      '',
    ]);
  });

  it('shows one row per version with --all', () => {
    expect(renderTarballList(envs, true, now).split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+VERSION\s+SIZE\s+AGE\s+IMAGE ID$/),
      expect.stringMatching(/^py\s+1700000000\s+1\.2 GB\s+1h ago\s+3f2a9c0d1b7e$/),
      expect.stringMatching(/^py\s+1699990000\s+1\.1 GB\s+2d ago\s+-$/),
      '',
    ]);
  });

  it('prints the table, the API answer with --json, and what to do when there is none', async () => {
    const host = fakeHost({ listTarballs: () => json({ envs }) });
    const all = await runWith(['docker', 'tar', 'list', '--all'], { fetch: host.fetch });
    expect(all.stdout.split('\n')).toHaveLength(4);
    expect(JSON.parse((await runWith(['docker', 'tar', 'ls', '--json'], { fetch: host.fetch })).stdout)).toEqual({
      envs,
    });
    const none = fakeHost({ listTarballs: () => json({ envs: [] }) });
    expect((await runWith(['docker', 'tar', 'list'], { fetch: none.fetch })).stdout).toBe(
      'no env tarballs: make one with `kawa docker tar create NAME`\n',
    );
  });
});

describe('kawa docker tar delete', () => {
  it('deletes one version, or all of them, and says which', async () => {
    const host = fakeHost({
      deleteTarball: (request) => {
        const version = request.query.get('version');
        return json({ name: 'py', deleted: version === null ? [1_699_990_000, 1_700_000_000] : [Number(version)] });
      },
    });
    const one = await runWith(['docker', 'tar', 'delete', 'py', '1700000000'], { fetch: host.fetch });
    expect(one).toEqual({ code: 0, stdout: 'deleted py version 1700000000\n', stderr: '' });
    const all = await runWith(['docker', 'tar', 'rm', 'py'], { fetch: host.fetch });
    expect(all.stdout).toBe('deleted py versions 1699990000, 1700000000\n');
    expect(host.requests.map((request) => [request.method, request.params.name, request.query.toString()])).toEqual([
      ['DELETE', 'py', 'version=1700000000'],
      ['DELETE', 'py', ''],
    ]);
    const asJson = await runWith(['docker', 'tar', 'delete', 'py', '1700000000', '--json'], { fetch: host.fetch });
    expect(JSON.parse(asJson.stdout)).toEqual({ name: 'py', deleted: [1_700_000_000] });
  });

  it('refuses a version that is not a timestamp before any request, exit 2', async () => {
    const host = fakeHost({});
    for (const version of ['latest', '-1', '99999999999999']) {
      const run = await runWith(['docker', 'tar', 'delete', 'py', version], { fetch: host.fetch });
      expect(run.code).toBe(2);
    }
    expect(host.requests).toHaveLength(0);
  });

  it('reports a missing version with the host code, exit 1', async () => {
    const host = fakeHost({
      deleteTarball: () =>
        errorAnswer('KAWA_ERR_TARBALL_NOT_FOUND', 'env "py" has no tarball version 5; it has 1700000000', 404),
    });
    expect(await runWith(['docker', 'tar', 'delete', 'py', '5'], { fetch: host.fetch })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: env "py" has no tarball version 5; it has 1700000000 (KAWA_ERR_TARBALL_NOT_FOUND)\n',
    });
  });
});
