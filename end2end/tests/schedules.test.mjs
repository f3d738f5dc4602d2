// Schedule timing in a real browser: a phrase previewed as it is typed (its
// cron form, its meaning, its next fire times in two zones), then pause,
// resume and an edit that changes the timing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, signedIn, startServer } from './helpers.mjs';

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

test('a phrase is previewed as it is typed, then paused, resumed and edited', async () => {
  const context = await signedIn(browser, server.baseUrl, undefined, { timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  await page.goto(`${server.baseUrl}/schedules/new`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });

  await page.selectOption('select[name="input[function]"]', 'log-job@1');
  await page.fill('input[name="input[timezone]"]', 'America/New_York');
  await page.fill('input[name="input[cron]"]', 'every weekday at 6pm');
  await page.waitForSelector('#cron-form:has-text("0 18 * * 1-5")');
  assert.equal(await page.textContent('#cron-description'), 'at 18:00 on Monday to Friday');
  // Five fire times, each in the schedule's zone, the viewer's and UTC.
  const rows = page.locator('#cron-preview tbody tr');
  assert.equal(await rows.count(), 5);
  const cells = await rows.first().locator('td').allTextContents();
  assert.equal(cells.length, 3);
  assert.match(cells[0], /18:00:00 E[SD]T$/);
  assert.match(cells[1], /0[78]:00:00 JST$/);
  assert.match(cells[2], /^\d{4}-\d\d-\d\dT2[23]:00:00Z$/);

  await page.fill('input[name="input[cron]"]', 'every weekday at 6pmish');
  await page.waitForSelector('p#cron-preview.hint-error');
  assert.equal(
    await page.textContent('#cron-preview'),
    'cron: 6pmish is not a time of day',
  );
  await page.fill('input[name="input[cron]"]', 'every weekday at 6pm');
  await page.waitForSelector('#cron-form');

  await page.fill('input[name="input[title]"]', 'Evening report');
  await page.click('#create-schedule');
  await page.waitForURL(/\/schedules\/\d+$/);
  await page.waitForSelector('h1:has-text("Evening report")');
  assert.equal(await page.textContent('#timing'), 'every weekday at 6pm (cron 0 18 * * 1-5)');
  assert.equal(await page.textContent('#timing-description'), 'at 18:00 on Monday to Friday');

  await page.click('#pause');
  await page.waitForSelector('.facts [data-status="paused"]');
  assert.equal(await page.textContent('#next-run'), '— (paused)');
  await page.waitForSelector('#events [data-kind="paused"]');
  await page.click('#resume');
  await page.waitForSelector('.facts [data-status="active"]');
  await page.waitForSelector('#events [data-kind="resumed"]');

  await page.click('#edit');
  await page.waitForURL(/\/schedules\/\d+\/edit$/);
  await page.waitForSelector('#cron-form:has-text("0 18 * * 1-5")');
  assert.equal(await page.inputValue('input[name="input[title]"]'), 'Evening report');
  await page.fill('input[name="input[cron]"]', 'every 15 minutes');
  await page.waitForSelector('#cron-form:has-text("*/15 * * * *")');
  await page.click('#create-schedule');
  await page.waitForURL(/\/schedules\/\d+$/);
  await page.waitForSelector('#timing:has-text("every 15 minutes")');
  assert.equal(await page.textContent('#timing'), 'every 15 minutes (cron */15 * * * *)');
  await page.waitForSelector('#events [data-kind="updated"]');
  await context.close();
});
