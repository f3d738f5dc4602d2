// The sandbox from the dashboard: a running run cancelled from its page, a
// memory bomb and bytes that are not UTF-8 reported plainly, and outgoing
// HTTP that works only once an admin grants the host.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { createManualSchedule, launchBrowser, logLines, root, signedIn, startServer } from './helpers.mjs';

let server;
let browser;
let context;

before(async () => {
  const modules = ['probe', 'hostile'].map((m) => join(root, `handlers/dist/${m}.wasm`));
  server = await startServer({ IMPORT_FUNCTIONS: modules.join(',') });
  browser = await launchBrowser();
  context = await signedIn(browser, server.baseUrl);
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

async function newSchedule(fn, data, title) {
  const page = await context.newPage();
  await page.goto(`${server.baseUrl}/schedules/new`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await createManualSchedule(page, { fn, data, title });
  return page;
}

/** Clicks "Run now" and waits on the run's page for one of `statuses`. */
async function runNow(page, statuses) {
  await page.click('#run-now');
  await page.waitForURL(/\/runs\/\d+$/);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  const selector = statuses.map((s) => `.page-head [data-status="${s}"]`).join(', ');
  await page.waitForSelector(selector, { timeout: 30_000 });
}

test('a running run is cancelled from its page and keeps its output', async () => {
  const page = await newSchedule('probe@1', { stdout: 'started\n', sleepMs: 600000 }, 'Sleeper');
  await runNow(page, ['running']);

  await page.click('#cancel-run');
  await page.waitForSelector('.page-head [data-status="cancelled"]', { timeout: 10_000 });
  assert.equal(await page.textContent('#run-error'), 'cancelled while running');
  assert.deepEqual(await logLines(page, 'stdout'), ['started']);
  assert.equal(await page.locator('#cancel-run').count(), 0);
  await page.close();
});

test('a memory bomb fails with the memory limit named, and odd bytes are shown safely', async () => {
  const bomb = await newSchedule('hostile@1', { attack: 'memory' }, 'Bomb');
  await runNow(bomb, ['failed']);
  assert.equal(
    await bomb.textContent('#run-error'),
    'memory limit of 256 MiB reached: the module asked for more and was refused',
  );
  await bomb.close();

  const bytes = await newSchedule('hostile@1', { attack: 'invalid-utf8' }, 'Odd bytes');
  await runNow(bytes, ['succeeded']);
  assert.deepEqual(await logLines(bytes, 'stdout'), ['ok \u{fffd}\u{fffd} end']);
  assert.deepEqual(await logLines(bytes, 'stderr'), ['\u{fffd}(']);
  await bytes.close();
});

test('outgoing HTTP reaches a host only once an admin grants it', async () => {
  const target = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(`hello from ${request.url}\n`);
  });
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${target.address().port}`;
  try {
    const data = { url: `http://${host}/ping` };
    const refused = await newSchedule('send-http-request@1', data, 'Ping');
    await runNow(refused, ['failed']);
    const stderr = await logLines(refused, 'stderr');
    assert.equal(
      stderr[0],
      `enschedule: outgoing HTTP to ${host} refused: the host is not granted to this function ` +
        "(an admin can grant it on the function's page)",
    );
    await refused.close();

    const fn = await context.newPage();
    await fn.goto(`${server.baseUrl}/functions/send-http-request/1`);
    await fn.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    assert.equal(await fn.textContent('#http-granted'), 'none');
    await fn.fill('#http-grants-form textarea[name="hosts"]', 'https://example.com');
    await fn.click('#http-grants-form button[type="submit"]');
    await fn.waitForSelector('#http-grants .notice-error');
    assert.match(await fn.textContent('#http-grants .notice-error'), /give the host alone, without a scheme or a path/);
    await fn.fill('#http-grants-form textarea[name="hosts"]', host);
    await fn.click('#http-grants-form button[type="submit"]');
    await fn.waitForSelector(`#http-granted code:has-text("${host}")`);
    await fn.close();

    const granted = await newSchedule('send-http-request@1', data, 'Ping again');
    await runNow(granted, ['succeeded']);
    const stdout = await logLines(granted, 'stdout');
    assert.equal(stdout[0], 'HTTP 200 OK');
    assert.equal(stdout.at(-1), 'hello from /ping');
    await granted.close();
  } finally {
    target.close();
  }
});
