import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListTasksResponse, Node, SubmitTaskResponse, Task, TaskEvent } from '@kawa/protocol';
import { horizontalOverflow, logIn, openBrowser, type TestBrowser } from './support/browser.js';
import { eventually, startCluster, type Cluster } from './support/cluster.js';
import { getTask, waitForStatus } from './support/tasks.js';

// The scheduler's and VPS views of the dashboard, without Docker: drain, sweeps, batches,
// retries, and the VPS form's key check. A VPS that runs is in docker-dashboard-vps.test.ts.

let cluster: Cluster;
let browser: TestBrowser;

beforeAll(async () => {
  cluster = await startCluster();
  browser = await openBrowser();
  await logIn(browser, cluster.url, cluster.token);
});
afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

const byTestId = (id: string) => browser.page.getByTestId(id);
const ended: Task['status'][] = ['completed', 'failed', 'killed', 'lost', 'oom'];

async function batchTasks(batch: number): Promise<Task[]> {
  const { body } = await cluster.api<ListTasksResponse>('GET', `/api/v1/tasks?batch=${batch}&limit=1000`);
  return [...body.tasks].sort((a, b) => a.id - b.id);
}

async function nodeDrained(): Promise<boolean> {
  return (await cluster.api<Node>('GET', `/api/v1/nodes/${cluster.node}`)).body.drained;
}

describe('the dashboard’s scheduler views', () => {
  it('drains and undrains a node from the Nodes page', async () => {
    await byTestId('nav-nodes').click();
    const card = byTestId(`node-${cluster.node}`);
    await expect.poll(() => card.getByTestId('node-status').textContent()).toBe('online');
    expect(await card.getByTestId('node-drained').isVisible()).toBe(false);

    await card.getByTestId('node-drain').click();
    await expect.poll(() => card.getByTestId('node-drained').isVisible()).toBe(true);
    await expect.poll(() => card.getByTestId('node-drain-text').textContent()).toContain('takes no new tasks');
    expect(await nodeDrained()).toBe(true);
    await browser.screenshot('nodes-drained');

    // A drained node takes nothing new: the task waits, and says why.
    const submitted = await cluster.api<SubmitTaskResponse>('POST', '/api/v1/tasks', {
      command: ['echo', 'after undrain'],
      container: 'NULL',
    });
    const id = submitted.body.taskIds[0]!;
    await eventually(async () => (await getTask(cluster, id)).reason?.includes('drained'), 15_000, 'a drain reason');
    expect((await getTask(cluster, id)).status).toBe('pending');

    await card.getByTestId('node-undrain').click();
    await expect.poll(() => card.getByTestId('node-drained').isVisible()).toBe(false);
    expect(await nodeDrained()).toBe(false);
    expect((await waitForStatus(cluster, id, ended)).status).toBe('completed');
  });

  it('previews a sweep as it is typed, and submits it as one batch with the scheduling fields', async () => {
    const { page } = browser;
    await byTestId('nav-submit').click();
    await byTestId('submit-command').fill('echo run span:{1..');
    await expect.poll(() => byTestId('sweep-error').textContent()).toContain('is not a span');
    await byTestId('submit-button').click();
    await expect.poll(() => byTestId('submit-error').textContent()).toContain('Fix the fields');

    await byTestId('submit-command').fill('echo run span:{1..3} span:[a,b]');
    await expect.poll(() => byTestId('sweep-count').textContent()).toBe('6');
    await expect
      .poll(() => byTestId('sweep-commands').locator('li').allTextContents())
      .toEqual(['echo run 1 a', 'echo run 1 b', 'echo run 2 a', 'echo run 2 b', 'echo run 3 a', 'echo run 3 b']);
    expect(await byTestId('submit-task-count').textContent()).toBe('6');
    await byTestId('submit-container-null').check();
    await byTestId('submit-cores').fill('0.25');
    await byTestId('submit-priority').fill('5');
    await byTestId('submit-max-parallel').fill('2');
    await byTestId('submit-retry').fill('1');
    await browser.screenshot('submit-sweep');
    await byTestId('submit-button').click();

    await page.waitForURL(/\/tasks\?batch=\d+$/);
    const batch = Number(new URL(page.url()).searchParams.get('batch'));
    await expect.poll(() => page.locator('[data-testid^="task-row-"]').count()).toBe(6);
    const tasks = await batchTasks(batch);
    expect(tasks.map((task) => task.command)).toEqual([
      ['echo', 'run', '1', 'a'],
      ['echo', 'run', '1', 'b'],
      ['echo', 'run', '2', 'a'],
      ['echo', 'run', '2', 'b'],
      ['echo', 'run', '3', 'a'],
      ['echo', 'run', '3', 'b'],
    ]);
    for (const task of tasks)
      expect(task).toMatchObject({ priority: 5, maxParallel: 2, retry: 1, retryOnFail: false, cores: 0.25 });
    for (const task of tasks) expect((await waitForStatus(cluster, task.id, ended)).status).toBe('completed');
    await expect.poll(() => byTestId('batch-count-completed').textContent(), { timeout: 15_000 }).toContain('6');
    await browser.screenshot('batch');
  });

  it('sends span: arguments literally when asked', async () => {
    const { page } = browser;
    await byTestId('nav-submit').click();
    await byTestId('submit-command').fill('echo span:[x,y]');
    await expect.poll(() => byTestId('sweep-count').textContent()).toBe('2');
    await byTestId('sweep-literal').check();
    expect(await byTestId('sweep-count').count()).toBe(0);
    await expect.poll(() => byTestId('submit-task-count').textContent()).toBe('1');
    await byTestId('submit-container-null').check();
    await byTestId('submit-button').click();
    await page.waitForURL(/\/tasks\/\d+$/);
    const id = Number(/\/tasks\/(\d+)$/.exec(page.url())?.[1]);
    expect((await getTask(cluster, id)).command).toEqual(['echo', 'span:[x,y]']);
  });

  it('kills a batch from the batch view', async () => {
    const { page } = browser;
    const submitted = await cluster.api<SubmitTaskResponse>('POST', '/api/v1/tasks', {
      command: ['sleep', 'span:[300,301,302]'],
      container: 'NULL',
      sweep: true,
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const { batchId, taskIds } = submitted.body;
    await waitForStatus(cluster, taskIds[0]!, ['running']);
    await page.goto(`${cluster.url}/tasks?batch=${batchId}`);
    await expect.poll(() => page.locator('[data-testid^="task-row-"]').count()).toBe(3);
    await byTestId('batch-kill').click();
    await expect.poll(() => byTestId('batch-kill').textContent()).toContain(`Kill every unfinished task of batch`);
    await byTestId('batch-kill').click();
    await expect.poll(() => byTestId('batch-killed').textContent()).toBe('Killed 3 tasks.');
    for (const id of taskIds) expect((await waitForStatus(cluster, id, ended)).status).toBe('killed');
    await expect.poll(() => byTestId('batch-count-killed').textContent(), { timeout: 15_000 }).toContain('3');
    expect(await byTestId('batch-kill').isDisabled()).toBe(true);
  });

  it('links a task to its retry, and the retry shows its attempt', async () => {
    const { page } = browser;
    const submitted = await cluster.api<SubmitTaskResponse>('POST', '/api/v1/tasks', {
      command: ['sh', '-c', 'exit 3'],
      container: 'NULL',
      retry: 1,
      retryOnFail: true,
    });
    const first = submitted.body.taskIds[0]!;
    expect((await waitForStatus(cluster, first, ended)).status).toBe('failed');
    const retry = await eventually(
      async () => {
        const tasks = await batchTasks(submitted.body.batchId);
        return tasks.find((task) => task.id !== first);
      },
      15_000,
      'the retry',
    );
    await eventually(async () => {
      const { body } = await cluster.api<{ events: TaskEvent[] }>('GET', `/api/v1/tasks/${first}/events`);
      return body.events.some((event) => event.message?.includes(`retried as task ${retry.id}`));
    });

    await page.goto(`${cluster.url}/tasks/${first}`);
    await expect.poll(() => byTestId('task-attempt').textContent()).toBe('1 of 2');
    await byTestId(`event-task-${retry.id}`).click();
    await page.waitForURL(new RegExp(`/tasks/${retry.id}$`));
    await expect.poll(() => byTestId('task-attempt').textContent()).toBe('2 of 2');
    await expect.poll(() => byTestId(`event-task-${first}`).count()).toBe(1);
    await browser.screenshot('task-retried');
  });

  it('refuses a bad public key on the VPS page with the host’s coded message', async () => {
    await byTestId('nav-vps').click();
    await byTestId('vps-key').fill('ssh-ed25519 not-a-key');
    await byTestId('vps-create').click();
    await expect.poll(() => byTestId('vps-error').textContent()).toContain('KAWA_ERR_BAD_PUBLIC_KEY');
    const shown = await byTestId('vps-error').textContent();
    // The host answers the same body with the same code and message.
    const host = await cluster.api<{ error: { code: string; message: string } }>('POST', '/api/v1/vps', {
      publicKey: 'ssh-ed25519 not-a-key',
    });
    expect([host.status, host.body.error.code]).toEqual([400, 'KAWA_ERR_BAD_PUBLIC_KEY']);
    // The client checks the body with the same schema before sending; only the part's name in
    // front of the problem differs ("request body:" there, "body:" from the host).
    const problem = host.body.error.message.replace(/^[a-z ]*body: /, '');
    expect(problem).toContain('not an OpenSSH public key');
    expect(shown).toMatch(/^[a-z ]*body: /);
    expect(shown?.replace(/^[a-z ]*body: /, '')).toBe(`${problem} (${host.body.error.code})`);
    await browser.screenshot('vps');
  });

  it('fits a phone screen', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [nav, name] of [
      ['nav-submit', 'submit-phone'],
      ['nav-vps', 'vps-phone'],
      ['nav-nodes', 'nodes-phone'],
    ] as const) {
      await byTestId(nav).click();
      await page.locator('h1').waitFor();
      expect(await horizontalOverflow(page), name).toBeLessThanOrEqual(0);
      await browser.screenshot(name);
    }
  });
});
