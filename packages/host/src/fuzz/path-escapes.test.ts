import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, ErrorBodySchema, buildPath, routes, sharedLayout } from '@kawa/protocol';
import { createTestHost, type TestHost } from '../testing/test-host.js';

/**
 * Issue 6, "paths": env names, mounts and log paths with `..`, absolute paths, NUL and
 * symlinks. Each attempt either stays inside the allowed dirs or is refused with a code; an
 * attempt that gets through (a 2xx, a secret read, a file outside deleted) counts as an escape,
 * and there must be none.
 */

const SECRET = 'SECRET-outside-the-shared-dir';

describe('path escapes', () => {
  let dir: string;
  let host: TestHost;
  let allowRoot: string;
  let linkedRoot: string;
  let outside: string;
  const escapes: string[] = [];
  let attempts = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-paths-'));
    // The allow-listed root, with a symlink to /etc and a real subdir; and a root that is itself a link.
    allowRoot = join(dir, 'data');
    mkdirSync(join(allowRoot, 'ok'), { recursive: true });
    symlinkSync('/etc', join(allowRoot, 'link-etc'));
    symlinkSync('../outside', join(allowRoot, 'link-up'));
    mkdirSync(join(dir, 'real-scratch'));
    linkedRoot = join(dir, 'scratch');
    symlinkSync(join(dir, 'real-scratch'), linkedRoot);
    // Outside everything: what an escape would reach.
    outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'stdout.log'), SECRET);
    writeFileSync(join(outside, '1700000000.tar'), SECRET);
    writeFileSync(join(outside, '1700000000.json'), '{"createdAt":1,"imageId":"sha256:x"}');
    host = createTestHost({
      config: {
        shared_dir: join(dir, 'shared'),
        mount_allow_list: [allowRoot, linkedRoot],
        docker_socket: join(dir, 'no-docker.sock'),
      },
    });
  });
  afterAll(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const response = await host.app.inject({ method, url, headers: host.admin, ...(payload ? { payload } : {}) });
    return { status: response.statusCode, body: response.body };
  };
  /** An attempt that must be refused with a 4xx and a code. */
  const refused = async (what: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    attempts += 1;
    const answer = await call(method, url, payload);
    const coded =
      answer.status >= 400 && answer.status < 500 && ErrorBodySchema.safeParse(JSON.parse(answer.body)).success;
    if (!coded || answer.body.includes(SECRET)) escapes.push(`${what}: ${answer.status} ${answer.body.slice(0, 200)}`);
    return answer;
  };
  const submitMount = (source: string) =>
    ({ command: ['true'], image: 'busybox:1', mounts: [{ source, target: '/mnt/x', readOnly: true }] }) as const;

  it('refuses mounts that leave the allow list: .., absolute, NUL, relative and symlinks', async () => {
    const cases: [string, string][] = [
      ['symlink to /etc inside the allowed root', join(allowRoot, 'link-etc')],
      ['a file through that symlink', join(allowRoot, 'link-etc', 'passwd')],
      ['a missing path below that symlink', join(allowRoot, 'link-etc', 'nope', 'deeper')],
      ['a relative symlink out of the root', join(allowRoot, 'link-up')],
      ['.. out of the root', `${allowRoot}/../outside`],
      ['.. inside a path', `${allowRoot}/ok/../../outside`],
      ['absolute path outside', '/etc'],
      ['the host root', '/'],
      ['a sibling with the root as prefix', `${allowRoot}2`],
      ['NUL', `${allowRoot}/ok\u0000/../../etc`],
      ['relative path', 'data/ok'],
      ['trailing slash', `${allowRoot}/ok/`],
      ['double slash', `${allowRoot}//ok`],
    ];
    for (const [what, source] of cases) {
      const answer = await refused(`mount: ${what}`, 'POST', `${API_PREFIX}/tasks`, submitMount(source));
      expect(answer.body, what).toMatch(/KAWA_ERR_(MOUNT_NOT_ALLOWED|BAD_MOUNT|BAD_REQUEST)/);
    }
    // Controls: inside the root, real or not yet created, and through a root that is itself a link.
    for (const source of [join(allowRoot, 'ok'), join(allowRoot, 'ok', 'later', 'made'), join(linkedRoot, 'x')]) {
      const answer = await call('POST', `${API_PREFIX}/tasks`, submitMount(source));
      expect(answer.status, `${source}: ${answer.body}`).toBe(201);
    }
  });

  it('refuses env names with .., slashes, absolute paths and NUL on every route that takes one', async () => {
    const names = ['..', '../outside', '/etc', 'a/b', 'a\u0000b', '.hidden', 'x..y', '~root', 'A', ''];
    for (const name of names) {
      for (const route of ['deleteTarball', 'createTarball', 'startHostContainer', 'deleteHostContainer'] as const) {
        const { method } = routes[route];
        const url = buildPath(routes[route].path, { name: name === '' ? ' ' : name });
        await refused(`env name ${JSON.stringify(name)} on ${route}`, method, url);
      }
      await refused(`env name ${JSON.stringify(name)} as a container`, 'POST', `${API_PREFIX}/tasks`, {
        command: ['true'],
        container: name,
      });
      await refused(`env name ${JSON.stringify(name)} on create`, 'POST', `${API_PREFIX}/docker/containers`, {
        image: 'busybox:1',
        name,
      });
    }
    // Encoded traversal in the path itself.
    await refused('encoded ..', 'DELETE', `${API_PREFIX}/docker/tarballs/%2e%2e`);
    await refused('encoded ../', 'DELETE', `${API_PREFIX}/docker/tarballs/..%2Foutside`);
  });

  it('does not read, list or delete through an env tarball dir that is a symlink out of the shared dir', async () => {
    const containers = join(host.config.shared_dir, sharedLayout.containers);
    mkdirSync(containers, { recursive: true });
    symlinkSync(outside, join(containers, 'evil'));
    const listing = await call('GET', `${API_PREFIX}/docker/tarballs`);
    attempts += 1;
    if (listing.body.includes('evil')) escapes.push(`tarball list shows the linked env: ${listing.body}`);
    await refused('delete through a linked env dir', 'DELETE', buildPath(routes.deleteTarball.path, { name: 'evil' }));
    await refused('submit into a linked env', 'POST', `${API_PREFIX}/tasks`, { command: ['true'], container: 'evil' });
    attempts += 1;
    if (!existsSync(join(outside, '1700000000.tar'))) escapes.push('a tarball outside the shared dir was deleted');
    const answer = await call('DELETE', buildPath(routes.deleteTarball.path, { name: 'evil' }));
    expect(answer.body).toContain('KAWA_ERR_UNSAFE_PATH');
  });

  it('does not read logs through a logs/<id> dir or a log file that is a symlink', async () => {
    const ids: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const answer = await call('POST', `${API_PREFIX}/tasks`, { command: ['true'], container: 'NULL' });
      ids.push((JSON.parse(answer.body) as { taskIds: number[] }).taskIds[0] as number);
    }
    const [linkedDir, linkedFile, intoOther] = ids as [number, number, number];
    const logs = join(host.config.shared_dir, sharedLayout.logs);
    mkdirSync(join(logs, String(linkedFile)), { recursive: true });
    symlinkSync(outside, join(logs, String(linkedDir)));
    symlinkSync(join(outside, 'stdout.log'), join(logs, String(linkedFile), 'stdout.log'));
    symlinkSync(join(logs, String(linkedFile)), join(logs, String(intoOther)));
    for (const id of ids) {
      for (const query of ['', '?tail=5', '?offset=0', '?follow=true']) {
        const answer = await refused(
          `logs of ${id}${query}`,
          'GET',
          `${buildPath(routes.taskLogs.path, { id })}${query}`,
        );
        expect(answer.body).toContain('KAWA_ERR_UNSAFE_PATH');
      }
    }
    for (const url of [
      `${API_PREFIX}/tasks/..%2F..%2Fetc/logs`,
      `${API_PREFIX}/tasks/${ids[0]}/logs?stream=..%2F..%2Fetc%2Fpasswd`,
      `${API_PREFIX}/tasks/${ids[0]}/logs?stream=%2Fetc%2Fpasswd`,
      `${API_PREFIX}/tasks/1%00/logs`,
    ]) {
      await refused(`log path ${url}`, 'GET', url);
    }
  });

  it('counts 0 escapes', () => {
    console.log(`path escapes: ${attempts} attempts, ${escapes.length} escapes`);
    expect(escapes).toEqual([]);
    expect(attempts).toBeGreaterThan(80);
  });
});
