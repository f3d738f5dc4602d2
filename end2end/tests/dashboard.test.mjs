// The dashboard in a real browser: schedule a bundled handler, run it, read
// its output; upload a handler module and run that too.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchBrowser, logLines, openHydrated, root, startServer } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Fills the new-schedule form for a manual schedule and creates it. */
async function createManualSchedule(page, { fn, data, title }) {
  await page.selectOption('select[name="input[function]"]', fn);
  await page.fill('textarea[name="input[data]"]', JSON.stringify(data));
  await page.check('input[name="input[when]"][value="manual"]');
  await page.fill('input[name="input[title]"]', title);
  await page.click('#create-schedule');
  await page.waitForURL(/\/schedules\/\d+$/);
  await page.waitForSelector(`h1:has-text("${title}")`);
}

/** Clicks "Run now" and waits on the run's page until it has ended. */
async function runNowAndWait(page) {
  await page.click('#run-now');
  await page.waitForURL(/\/runs\/\d+$/);
  await page.waitForSelector('.page-head [data-status="succeeded"], .page-head [data-status="failed"]', {
    timeout: 30_000,
  });
}

test('a log-job schedule run from the browser shows its message in stdout', async () => {
  const page = await openHydrated(browser, `${server.baseUrl}/schedules/new`);

  await createManualSchedule(page, {
    fn: 'log-job@1',
    data: { message: 'hello from the browser' },
    title: 'Browser greeting',
  });
  await runNowAndWait(page);

  assert.equal(await page.locator('.page-head [data-status]').getAttribute('data-status'), 'succeeded');
  assert.deepEqual(await logLines(page, 'stdout'), ['hello from the browser']);
  assert.deepEqual(await logLines(page, 'stderr'), []);
  assert.equal(await page.textContent('#exit-code'), '0');
  await page.close();
});

test('data that breaks the schema is flagged in the form', async () => {
  const page = await openHydrated(browser, `${server.baseUrl}/schedules/new?function=log-job@1`);

  await page.fill('textarea[name="input[data]"]', '{"message": 42}');

  await page.waitForSelector('#data-check.hint-error');
  assert.equal(await page.textContent('#data-check'), 'data: at /message: 42 is not of type "string"');
  await page.close();
});

test('an uploaded module is registered and runs', async () => {
  const page = await openHydrated(browser, `${server.baseUrl}/functions/upload`);

  await page.setInputFiles('input[name="module"]', join(root, 'handlers/dist/probe.wasm'));
  await page.click('#upload-form button[type="submit"]');
  await page.waitForSelector('.notice-ok');
  assert.equal(await page.textContent('.notice-ok'), 'Registered probe version 1');

  await page.goto(`${server.baseUrl}/schedules/new?function=probe@1`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await createManualSchedule(page, {
    fn: 'probe@1',
    data: { stdout: 'uploaded and running\n', stderr: 'a warning\n', exitCode: 0 },
    title: 'Probe from upload',
  });
  await runNowAndWait(page);

  assert.deepEqual(await logLines(page, 'stdout'), ['uploaded and running']);
  assert.deepEqual(await logLines(page, 'stderr'), ['a warning']);
  await page.close();
});

test('a file that is not WebAssembly is refused on the page', async () => {
  const page = await openHydrated(browser, `${server.baseUrl}/functions/upload`);

  await page.setInputFiles('input[name="module"]', join(root, 'end2end/package.json'));
  await page.click('#upload-form button[type="submit"]');

  await page.waitForSelector('.notice-error');
  assert.equal(
    await page.textContent('.notice-error'),
    'the file is not a WebAssembly module (it does not start with `\\0asm`)',
  );
  await page.close();
});
