import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmitTaskResponse, Task } from '@kawa/protocol';
import { logIn, openBrowser, type TestBrowser } from './support/browser.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { TEST_IMAGE, docker } from './support/docker.js';
import { getTask, waitForStatus } from './support/tasks.js';

// The dashboard with real containers: a VPS created from the VPS page (key uploaded from a .pub
// file), its terminal, its actions; and the terminal of a running Docker task. Docker: this file
// runs in the one-at-a-time e2e-docker project, as VPS containers are kawa-vps-<id>.

/** Built by scripts/test-images.sh: Debian minbase with openssh-server. */
const VPS_IMAGE = 'kawa-test/vps:latest';

let cluster: Cluster;
let browser: TestBrowser;
let keyDir: string;
const made: number[] = [];

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'kawa-web-key-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'web@e2e', '-f', join(keyDir, 'id_ed25519')]);
  cluster = await startCluster();
  browser = await openBrowser();
  await logIn(browser, cluster.url, cluster.token);
});
afterAll(async () => {
  await browser?.close();
  // A VPS restarts unless stopped: kill what is left, and make sure no container outlives the file.
  for (const id of made) {
    await cluster?.api('POST', `/api/v1/tasks/${id}/kill`).catch(() => undefined);
    await docker
      .getContainer(`kawa-vps-${id}`)
      .remove({ force: true })
      .catch(() => undefined);
    await docker
      .getContainer(`kawa-task-${id}`)
      .remove({ force: true })
      .catch(() => undefined);
  }
  await cluster?.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

const byTestId = (id: string) => browser.page.getByTestId(id);
const final: Task['status'][] = ['completed', 'failed', 'killed', 'lost', 'oom'];

describe('the dashboard with containers', () => {
  let id: number;

  it('creates a VPS from the VPS page with a key from a .pub file, and shows how to SSH in', async () => {
    const { page } = browser;
    await byTestId('nav-vps').click();
    await byTestId('vps-key-file').setInputFiles(join(keyDir, 'id_ed25519.pub'));
    const publicKey = readFileSync(join(keyDir, 'id_ed25519.pub'), 'utf8').trim();
    await expect.poll(() => byTestId('vps-key').inputValue()).toBe(publicKey);
    await byTestId('vps-container-image').check();
    await byTestId('vps-image').fill(VPS_IMAGE);
    await byTestId('vps-memory').fill('512M');
    await byTestId('picker-node').selectOption(cluster.node);
    await byTestId('picker-add').click();
    await byTestId('vps-create').click();

    await expect.poll(() => byTestId('vps-created').textContent()).toMatch(/VPS \d+ created/);
    id = Number(/VPS (\d+) created/.exec((await byTestId('vps-created').textContent()) ?? '')?.[1]);
    made.push(id);
    const card = byTestId(`vps-${id}`);
    await expect
      .poll(() => card.getByTestId('vps-status').textContent(), { timeout: 90_000, interval: 500 })
      .toBe('running');
    expect(await byTestId(`vps-ssh-${id}`).inputValue()).toBe(`kawa ssh ${id}`);
    expect(await byTestId(`vps-openssh-${id}`).inputValue()).toBe(`ssh kawa-${id}`);
    const task = await getTask(cluster, id);
    expect(task).toMatchObject({
      kind: 'vps',
      image: VPS_IMAGE,
      publicKey,
      memoryBytes: 512e6,
      node: cluster.node,
    });
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await browser.screenshot('vps-running');
  }, 150_000);

  it('opens a terminal into the VPS and runs a command', async () => {
    const { page } = browser;
    await byTestId(`vps-${id}`).getByTestId('task-terminal').click();
    await expect.poll(() => byTestId('terminal-state').textContent(), { timeout: 15_000 }).toBe('connected');
    await byTestId('terminal-screen').click();
    await page.keyboard.type('echo "vps-$((40+2))" "$(id -un)"\n');
    await expect.poll(() => page.locator('.xterm-rows').textContent(), { timeout: 15_000 }).toMatch(/vps-42 root/);
    await browser.screenshot('vps-terminal');
    await page.keyboard.type('exit\n');
    await expect
      .poll(() => byTestId('terminal-state').textContent(), { timeout: 15_000 })
      .toMatch(/exited with code 0/);
    await byTestId('terminal-close').click();
  });

  it('pauses, resumes, stops, restarts and kills the VPS from its card', async () => {
    const card = byTestId(`vps-${id}`);
    const status = () => card.getByTestId('vps-status').textContent();
    await card.getByTestId('task-pause').click();
    await expect.poll(status, { timeout: 15_000 }).toBe('paused');
    await card.getByTestId('task-resume').click();
    await expect.poll(status, { timeout: 15_000 }).toBe('running');
    await card.getByTestId('task-stop').click();
    await expect.poll(status, { timeout: 30_000 }).toBe('stopped');
    expect((await getTask(cluster, id)).status).toBe('stopped');
    await card.getByTestId('task-restart').click();
    await expect.poll(status, { timeout: 60_000, interval: 500 }).toBe('running');

    // Killing throws the container away, so it asks once more; a final VPS leaves the list.
    await card.getByTestId('task-kill').click();
    await expect.poll(() => card.getByTestId('task-kill').textContent()).toContain('Confirm kill');
    await card.getByTestId('task-kill').click();
    expect((await waitForStatus(cluster, id, final)).status).toBe('killed');
    await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(0);
  }, 150_000);

  it('opens a terminal into a running Docker task from its page', async () => {
    const { page } = browser;
    const submitted = await cluster.api<SubmitTaskResponse>('POST', '/api/v1/tasks', {
      command: ['sleep', '300'],
      image: TEST_IMAGE,
      cores: 0.5,
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const task = submitted.body.taskIds[0]!;
    made.push(task);
    await page.goto(`${cluster.url}/tasks/${task}`);
    await expect
      .poll(() => byTestId('task-status').getAttribute('data-status'), { timeout: 60_000, interval: 500 })
      .toBe('running');
    await byTestId('task-terminal').click();
    await expect.poll(() => byTestId('terminal-state').textContent(), { timeout: 15_000 }).toBe('connected');
    await byTestId('terminal-screen').click();
    await page.keyboard.type('echo "task-$((6*7))"\n');
    await expect.poll(() => page.locator('.xterm-rows').textContent(), { timeout: 15_000 }).toMatch(/task-42/);
    await browser.screenshot('task-terminal');
    await byTestId('task-kill').click();
    expect((await waitForStatus(cluster, task, final)).status).toBe('killed');
  }, 120_000);
});
