// A dashboard with no database of its own (`WORKER_URL` + `API_KEY`) in front
// of `enschedule worker --api`: the browser signs in through it, sees the
// schedule that was created on the worker, runs it, and reads the output the
// worker's instance captured.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, logLines, openHydrated, runNowAndWait, signedIn, startServer } from './helpers.mjs';

const KEY = 'e2e-worker-key';

let worker;
let dashboard;
let browser;

before(async () => {
  worker = await startServer(
    { API_KEY: KEY, WORKER_ID: 'remote-e2e', POLL_INTERVAL_MS: '200' },
    { args: ['worker', '--api'] },
  );
  dashboard = await startServer(
    { WORKER_URL: worker.baseUrl, API_KEY: KEY },
    { health: '/sign-in' },
  );
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await dashboard?.stop();
  await worker?.stop();
});

test("the remote dashboard shows the worker's schedule and runs it there", async () => {
  const created = await fetch(`${worker.baseUrl}/api/v1/schedules`, {
    method: 'POST',
    headers: { Authorization: `Api-Key ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      functionId: 'log-job',
      data: { message: 'hello from the worker' },
      options: { title: 'Remote nightly report', cronExpression: '0 2 * * *', eventId: 'remote-nightly' },
    }),
  });
  const answer = await created.text();
  assert.equal(created.status, 201, answer);
  const { schedule } = JSON.parse(answer);

  const context = await signedIn(browser, dashboard.baseUrl);
  const list = await openHydrated(context, `${dashboard.baseUrl}/schedules`);
  const row = list.locator('#schedules tbody tr');
  assert.equal(await row.count(), 1);
  const cells = await row.first().locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 3), ['Remote nightly report', 'log-job v1', 'cron 0 2 * * *UTC']);

  await list.click('#schedules a:has-text("Remote nightly report")');
  await list.waitForURL(`${dashboard.baseUrl}/schedules/${schedule.id}`);
  await list.waitForSelector('h1:has-text("Remote nightly report")');
  await runNowAndWait(list);
  assert.equal(await list.textContent('.page-head [data-status]'), 'succeeded');
  assert.deepEqual(await logLines(list, 'stdout'), ['hello from the worker']);
  // The dashboard keeps no data: the run is the worker's.
  const runId = Number(new URL(list.url()).pathname.split('/').pop());
  const run = await fetch(`${worker.baseUrl}/api/v1/runs/${runId}`, {
    headers: { Authorization: `Api-Key ${KEY}` },
  });
  assert.equal(run.status, 200);
  assert.equal((await run.json()).status, 'succeeded');
});
