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

/** Starts the server; resolves to { baseUrl, stop, logs }. */
export async function startServer(env = {}) {
  const port = await freePort();
  const logs = [];
  const server = spawn(join(root, 'target/bin/enschedule'), ['serve'], {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      SQLITE: ':memory:',
      ENSCHEDULE_DATA_DIR: mkdtempSync(join(tmpdir(), 'enschedule-e2e-')),
      LEPTOS_SITE_ROOT: join(root, 'target/site'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (chunk) => logs.push(chunk.toString()));
  server.stderr.on('data', (chunk) => logs.push(chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(`${baseUrl}/api/v1/healthz`, server, 60);
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

/** Opens a page and waits until it is hydrated, so clicks count. */
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
