// The dashboard in a real browser: schedule a bundled handler, run it, read
// its output; upload a handler module and run that too.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  createManualSchedule,
  launchBrowser,
  logLines,
  openHydrated,
  root,
  runNowAndWait,
  signedIn,
  startServer,
} from './helpers.mjs';

let server;
let browser;
let admin;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  admin = await signedIn(browser, server.baseUrl);
});

after(async () => {
  await admin?.close();
  await browser?.close();
  await server?.stop();
});

test('a log-job schedule run from the browser shows its message in stdout', async () => {
  const page = await openHydrated(admin, `${server.baseUrl}/schedules/new`);

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
  const page = await openHydrated(admin, `${server.baseUrl}/schedules/new?function=log-job@1`);

  await page.fill('textarea[name="input[data]"]', '{"message": 42}');

  await page.waitForSelector('#data-check.hint-error');
  assert.equal(await page.textContent('#data-check'), 'data: at /message: 42 is not of type "string"');
  await page.close();
});

test('an uploaded module is registered and runs', async () => {
  const page = await openHydrated(admin, `${server.baseUrl}/functions/upload`);

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
  const page = await openHydrated(admin, `${server.baseUrl}/functions/upload`);

  await page.setInputFiles('input[name="module"]', join(root, 'end2end/package.json'));
  await page.click('#upload-form button[type="submit"]');

  await page.waitForSelector('.notice-error');
  assert.equal(
    await page.textContent('.notice-error'),
    'the file is not a WebAssembly module (it does not start with `\\0asm`)',
  );
  await page.close();
});

test('the workers page shows the inline instance up with its functions', async () => {
  const page = await openHydrated(admin, `${server.baseUrl}/workers`);
  const row = page.locator('[data-worker="inline"] tbody tr').first();
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.match(cells[0], /^inline@/);
  assert.equal(cells[2], '1');
  assert.equal(cells[3], 'up');
  assert.match(cells[4], /^\d+ s ago$/);
  assert.equal(cells[6], '16');
  assert.equal(cells[7], 'log-job@1, send-http-request@1');
  await page.close();
});
