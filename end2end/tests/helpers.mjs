// Shared set-up for the browser tests: a fresh `enschedule serve` on a free
// port with an in-memory database, and headless Chromium from the system.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The admin every test server starts with. */
export const ADMIN = { name: 'admin', password: 'e2e-admin-password' };

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, server, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`enschedule exited with code ${server.exitCode} before it was healthy`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${seconds} s`);
}

/**
 * Starts `enschedule serve` (or the command in `args`) and waits until `health`
 * answers; resolves to { baseUrl, stop, logs }.
 */
export async function startServer(env = {}, { args = ['serve'], health = '/api/v1/healthz' } = {}) {
  const port = await freePort();
  const logs = [];
  const server = spawn(join(root, 'target/bin/enschedule'), args, {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      SQLITE: ':memory:',
      ENSCHEDULE_DATA_DIR: mkdtempSync(join(tmpdir(), 'enschedule-e2e-')),
      LEPTOS_SITE_ROOT: join(root, 'target/site'),
      ADMIN_ACCOUNT: `${ADMIN.name}:${ADMIN.password}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (chunk) => logs.push(chunk.toString()));
  server.stderr.on('data', (chunk) => logs.push(chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(`${baseUrl}${health}`, server, 60);
  } catch (error) {
    server.kill('SIGKILL');
    throw new Error(`${error.message}\n${logs.join('')}`);
  }
  const stop = () =>
    new Promise((resolve) => {
      if (server.exitCode !== null) return resolve();
      server.once('exit', resolve);
      server.kill('SIGTERM');
    });
  return { baseUrl, stop, logs };
}

/** Headless Chromium from the system package, with the flags this sandbox needs. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
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
}

/**
 * A browser context signed in through the sign-in page; its pages share the
 * session. `options` go to `browser.newContext` (a timezone, say).
 */
export async function signedIn(browser, baseUrl, { name, password } = ADMIN, options = {}) {
  const context = await browser.newContext(options);
  const page = await openHydrated(context, `${baseUrl}/sign-in`);
  await page.fill('#sign-in input[name="name"]', name);
  await page.fill('#sign-in input[name="password"]', password);
  await page.click('#sign-in-button');
  await page.waitForURL((url) => url.pathname !== '/sign-in');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.waitForSelector(`#whoami:has-text("${name}")`);
  await page.close();
  return context;
}

/** Opens a page (of a browser or a context) and waits until it is hydrated, so clicks count. */
export async function openHydrated(browser, url) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  return page;
}

/** The text of each line of a run's stream on its page. */
export async function logLines(page, stream) {
  return page.locator(`[data-stream="${stream}"] .log-text`).allTextContents();
}

/** Fills the new-schedule form for a manual schedule and creates it; resolves to its id. */
export async function createManualSchedule(page, { fn, data, title }) {
  await page.selectOption('select[name="input[function]"]', fn);
  await page.fill('textarea[name="input[data]"]', JSON.stringify(data));
  await page.check('input[name="input[when]"][value="manual"]');
  await page.fill('input[name="input[title]"]', title);
  await page.click('#create-schedule');
  await page.waitForURL(/\/schedules\/\d+$/);
  await page.waitForSelector(`h1:has-text("${title}")`);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

/** Clicks "Run now" and waits on the run's page until it has ended. */
export async function runNowAndWait(page) {
  await page.click('#run-now');
  await page.waitForURL(/\/runs\/\d+$/);
  await page.waitForSelector('.page-head [data-status="succeeded"], .page-head [data-status="failed"]', {
    timeout: 30_000,
  });
}
