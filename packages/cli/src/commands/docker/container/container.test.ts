import { describe, expect, it } from 'vitest';
import type { HostContainer } from '@kawa/protocol';
import { errorAnswer, fakeHost, json, runWith } from '../../../test-support.js';
import { renderContainerList } from './list.js';

const now = 1_700_000_100_000;

function hostContainer(fields: Partial<HostContainer> = {}): HostContainer {
  return {
    name: 'py',
    containerId: 'c0ffee',
    image: 'debian:12',
    state: 'running',
    statusText: 'Up 3 minutes',
    createdAt: now - 180_000,
    ...fields,
  };
}

describe('kawa docker container list', () => {
  it('renders NAME, IMAGE, STATE, STATUS and CREATED within 100 columns', () => {
    const text = renderContainerList(
      [
        hostContainer(),
        hostContainer({
          name: 'cuda',
          image: `registry.example:5000/${'team/'.repeat(20)}cuda:12`,
          state: 'exited',
          statusText: 'Exited (0) 2 hours ago',
          createdAt: now - 2 * 86_400_000,
        }),
      ],
      false,
      now,
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+IMAGE\s+STATE\s+STATUS\s+CREATED$/);
    expect(lines[1]).toMatch(/^py\s+debian:12\s+running\s+Up 3 minutes\s+3m ago$/);
    expect(lines[2]).toMatch(
      /^cuda\s+registry\.example:5000\/team\/\S*…\s+exited\s+Exited \(0\) 2 hours ago\s+2d ago$/,
    );
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('colours the state only on a TTY', () => {
    expect(renderContainerList([hostContainer()], true, now)).toContain('\u001b[32mrunning');
    expect(renderContainerList([hostContainer()], false, now)).not.toContain('\u001b');
  });

  it('prints the table, says what to do when there is none, and gives the API answer with --json', async () => {
    const answer = { containers: [hostContainer()] };
    const host = fakeHost({ listHostContainers: () => json(answer) });
    const table = await runWith(['docker', 'container', 'list'], { fetch: host.fetch });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+IMAGE/);
    expect(table.stdout).toContain('debian:12');
    expect(JSON.parse((await runWith(['docker', 'container', 'ls', '--json'], { fetch: host.fetch })).stdout)).toEqual(
      answer,
    );
    const empty = fakeHost({ listHostContainers: () => json({ containers: [] }) });
    expect((await runWith(['docker', 'container', 'list'], { fetch: empty.fetch })).stdout).toBe(
      'no host containers: create one with `kawa docker container create IMAGE NAME`\n',
    );
  });
});

describe('kawa docker container create|start|stop|delete', () => {
  it('creates from IMAGE under NAME and says what it made', async () => {
    const host = fakeHost({ createHostContainer: () => json(hostContainer(), 201) });
    const run = await runWith(['docker', 'container', 'create', 'debian:12', 'py'], { fetch: host.fetch });
    expect(run).toEqual({
      code: 0,
      stdout: 'created container py (kawa-env-py) from debian:12: running\n',
      stderr: '',
    });
    expect(host.requests[0]).toMatchObject({ method: 'POST', body: { image: 'debian:12', name: 'py' } });
  });

  it.each([
    [['create', 'debian:12', 'Py Env'], 'KAWA_ERR_BAD_ENV_NAME'],
    [['create', 'Debian 12!', 'py'], 'KAWA_ERR_BAD_IMAGE'],
    [['start', '../etc'], 'KAWA_ERR_BAD_ENV_NAME'],
    [['delete', 'NULL'], 'KAWA_ERR_BAD_ENV_NAME'],
  ])('refuses %j locally with %s, exit 2, sending nothing', async (args, code) => {
    const host = fakeHost({});
    const run = await runWith(['docker', 'container', ...args], { fetch: host.fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^error: .+ \\(${code}\\)\\n$`));
    expect(host.requests).toHaveLength(0);
  });

  it('starts, stops and deletes by name, printing the new state', async () => {
    const host = fakeHost({
      startHostContainer: () => json(hostContainer()),
      stopHostContainer: () => json(hostContainer({ state: 'exited', statusText: 'Exited (0) 1 second ago' })),
      deleteHostContainer: () => json({ name: 'py' }),
    });
    const outputs = [];
    for (const action of ['start', 'stop', 'delete']) {
      const run = await runWith(['docker', 'container', action, 'py'], { fetch: host.fetch });
      expect(run.code).toBe(0);
      outputs.push(run.stdout);
    }
    expect(outputs).toEqual([
      'container py: running (Up 3 minutes)\n',
      'container py: exited (Exited (0) 1 second ago)\n',
      'deleted container py (kawa-env-py); its tarballs stay\n',
    ]);
    expect(host.requests.map((request) => [request.method, request.route, request.params.name])).toEqual([
      ['POST', 'startHostContainer', 'py'],
      ['POST', 'stopHostContainer', 'py'],
      ['DELETE', 'deleteHostContainer', 'py'],
    ]);
  });

  it('adds the next step to a host error that gives none, and exits 1', async () => {
    const host = fakeHost({
      startHostContainer: () => errorAnswer('KAWA_ERR_CONTAINER_NOT_FOUND', 'no host container kawa-env-py', 404),
      createHostContainer: () =>
        errorAnswer(
          'KAWA_ERR_CONTAINER_EXISTS',
          'env "py" already has a host container: kawa docker container shell py',
          409,
        ),
    });
    const missing = await runWith(['docker', 'container', 'start', 'py'], { fetch: host.fetch });
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: no host container kawa-env-py; see `kawa docker container list`, or create it: ' +
        'kawa docker container create IMAGE py (KAWA_ERR_CONTAINER_NOT_FOUND)\n',
    });
    // The host already said what to do: nothing is added.
    const exists = await runWith(['docker', 'container', 'create', 'debian:12', 'py'], { fetch: host.fetch });
    expect(exists.stderr).toBe(
      'error: env "py" already has a host container: kawa docker container shell py (KAWA_ERR_CONTAINER_EXISTS)\n',
    );
  });
});
