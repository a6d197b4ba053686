import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmitTaskResponse, Task } from '@kawa/protocol';
import { openBrowser, type TestBrowser } from './support/browser.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { TEST_IMAGE, forgetEnvImage } from './support/docker.js';
import { waitForStatus } from './support/tasks.js';

let cluster: Cluster;
let browser: TestBrowser;

beforeAll(async () => {
  cluster = await startCluster();
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

const byTestId = (id: string) => browser.page.getByTestId(id);
const taskIdFromUrl = (): number => Number(/\/tasks\/(\d+)$/.exec(new URL(browser.page.url()).pathname)?.[1]);

describe('the dashboard in a real browser', () => {
  it('is served from the built assets with cache headers', async () => {
    const index = await fetch(`${cluster.url}/tasks/1`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const asset = await fetch(`${cluster.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${cluster.url}/api/v1/no-such-route`)).headers.get('content-type')).toMatch(/json/);
  });

  it('serves the SPA at / and refuses a wrong token with the host’s error', async () => {
    const { page } = browser;
    await page.goto(cluster.url);
    await page.waitForURL(/\/login\?next=%2F$/);
    await byTestId('login-token').fill('kawa_admin_not-the-token');
    await byTestId('login-submit').click();
    await expect.poll(() => byTestId('login-error').textContent()).toContain('KAWA_ERR_UNAUTHORIZED');
    await browser.screenshot('login');
  });

  it('logs in and sees the node', async () => {
    const { page } = browser;
    await byTestId('login-token').fill(cluster.token);
    await byTestId('login-submit').click();
    await page.waitForURL(`${cluster.url}/`);
    await expect.poll(() => byTestId('stream-state').textContent()).toContain('live');
    await expect.poll(() => byTestId('total-nodes').textContent()).toBe('1 / 1');
    await byTestId('nav-nodes').click();
    await expect.poll(() => byTestId(`node-${cluster.node}`).getByTestId('node-status').textContent()).toBe('online');
    await browser.screenshot('nodes');
  });

  it('submits a task from the form with a target from the picker, watches it finish and reads its log', async () => {
    const { page } = browser;
    await byTestId('nav-submit').click();
    await byTestId('submit-command').fill(`sh -c 'echo "dashboard $((6*7))"; echo oops >&2'`);
    await expect
      .poll(() => byTestId('submit-argv').locator('li').allTextContents())
      .toEqual(['sh', '-c', 'echo "dashboard $((6*7))"; echo oops >&2']);
    await byTestId('submit-container-null').check();
    await byTestId('picker-node').selectOption(cluster.node);
    await byTestId('picker-add').click();
    await expect.poll(() => byTestId('target-chip').allTextContents()).toEqual([expect.stringContaining(cluster.node)]);
    await browser.screenshot('submit');
    await byTestId('submit-button').click();
    await page.waitForURL(/\/tasks\/\d+$/);
    const id = taskIdFromUrl();

    const task = await waitForStatus(cluster, id, ['completed', 'failed', 'killed']);
    expect(task).toMatchObject({ status: 'completed', node: cluster.node, container: null });
    expect(task.target).toEqual({ node: cluster.node, numa: null, gpus: [] });
    // The page learns the end from the event stream, and the log from the logs API.
    await expect.poll(() => byTestId('task-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
    await expect.poll(() => byTestId('log-text').textContent(), { timeout: 15_000 }).toContain('dashboard 42');
    await byTestId('log-stderr').check();
    await expect.poll(() => byTestId('log-text').textContent()).toContain('oops');
    await browser.screenshot('task');
  });

  it('kills a running task', async () => {
    const { page } = browser;
    const submitted = await cluster.api<SubmitTaskResponse>('POST', '/api/v1/tasks', {
      command: ['sleep', '300'],
      container: 'NULL',
    });
    expect(submitted.status).toBe(201);
    const id = submitted.body.taskIds[0]!;
    await byTestId('nav-tasks').click();
    await page
      .getByTestId(`task-row-${id}`)
      .getByRole('link', { name: String(id) })
      .click();
    await page.waitForURL(new RegExp(`/tasks/${id}$`));
    await expect.poll(() => byTestId('task-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('running');
    await byTestId('task-kill').click();
    await expect.poll(() => byTestId('task-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('killed');
    expect((await cluster.api<Task>('GET', `/api/v1/tasks/${id}`)).body.status).toBe('killed');
  });

  it('shows the other views and the batch view', async () => {
    const { page } = browser;
    for (const [nav, name] of [
      ['nav-overview', 'overview'],
      ['nav-gpus', 'gpus'],
      ['nav-tasks', 'tasks'],
    ] as const) {
      await byTestId(nav).click();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await browser.screenshot(name);
    }
    await page.goto(`${cluster.url}/tasks?batch=1`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Batch 1');
    await expect.poll(() => page.locator('[data-testid^="task-row-"]').count()).toBe(1);
  });

  it('opens a host-container terminal, types a command and sees its output', async () => {
    const { page } = browser;
    const env = `e2e-web-${randomBytes(3).toString('hex')}`;
    const created = await cluster.api('POST', '/api/v1/docker/containers', { image: TEST_IMAGE, name: env });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    try {
      await byTestId('nav-envs').click();
      await byTestId(`container-shell-${env}`).click();
      await expect.poll(() => byTestId('terminal-state').textContent()).toBe('connected');
      await byTestId('terminal-screen').click();
      await page.keyboard.type('echo "web-$((40+2))"\n');
      await expect.poll(() => page.locator('.xterm-rows').textContent(), { timeout: 15_000 }).toMatch(/web-42/);
      await browser.screenshot('environments');
      await page.keyboard.type('exit\n');
      await expect
        .poll(() => byTestId('terminal-state').textContent(), { timeout: 15_000 })
        .toMatch(/exited with code 0/);

      // Packing streams NDJSON progress; the new version shows in the tarball list.
      await byTestId(`container-pack-${env}`).click();
      await expect.poll(() => byTestId(`tarballs-${env}`).locator('tbody tr').count(), { timeout: 60_000 }).toBe(1);
    } finally {
      await cluster.api('DELETE', `/api/v1/docker/containers/${env}`).catch(() => undefined);
      await cluster.api('DELETE', `/api/v1/docker/tarballs/${env}`).catch(() => undefined);
      await forgetEnvImage(env).catch(() => undefined);
    }
  }, 120_000);

  it('sent the token with every API call, and never in a URL', () => {
    expect(browser.apiRequests.length).toBeGreaterThan(5);
    const wrongToken = browser.apiRequests.filter(
      (request) => request.authorization === 'Bearer kawa_admin_not-the-token',
    );
    expect(wrongToken).toHaveLength(1);
    for (const request of browser.apiRequests.filter((seen) => !wrongToken.includes(seen)))
      expect({ url: request.url, authorization: request.authorization }).toEqual({
        url: request.url,
        authorization: `Bearer ${cluster.token}`,
      });
    const urls = [...browser.apiRequests.map((request) => request.url), ...browser.webSockets, browser.page.url()];
    for (const url of urls) expect(url).not.toContain(cluster.token);
    expect(browser.webSockets.some((url) => url.endsWith('/api/v1/events'))).toBe(true);
  });

  it('fits a phone screen', async () => {
    await browser.page.setViewportSize({ width: 390, height: 844 });
    await byTestId('nav-overview').click();
    const overflow = await browser.page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await browser.screenshot('overview-phone');
  });
});
