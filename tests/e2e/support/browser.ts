import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium: no browser download, the same binary a user of this machine has. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where each run leaves its screenshots (ignored by git); a script may copy them to docs/. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../.build/screenshots/', import.meta.url));

/** One request the page sent to the API. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface TestBrowser {
  page: Page;
  context: BrowserContext;
  /** Every HTTP request the page made under /api/. */
  apiRequests: SeenRequest[];
  /** Every WebSocket URL the page opened. */
  webSockets: string[];
  /** Saves a full-page screenshot as SCREENSHOT_DIR/<name>.png. */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh profile. Only loopback is reached: the cluster's URL;
 * every background service of the browser is off.
 */
export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'kawa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const apiRequests: SeenRequest[] = [];
  const webSockets: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/'))
      apiRequests.push({
        method: request.method(),
        url: request.url(),
        authorization: request.headers().authorization,
      });
  });
  page.on('websocket', (socket) => webSockets.push(socket.url()));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    page,
    context,
    apiRequests,
    webSockets,
    async screenshot(name) {
      // From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Logs the page in with `token` through the login form, and waits until the event stream is
 * live. The dashboard keeps the token in the tab's sessionStorage, so one login serves the file.
 */
export async function logIn(browser: TestBrowser, url: string, token: string): Promise<void> {
  const { page } = browser;
  await page.goto(`${url}/login`);
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(`${url}/`);
  await page.getByTestId('stream-state').filter({ hasText: 'live' }).waitFor();
}

/** How far the page is wider than the window (0 or less: no sideways scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}
