// Access rights in a real browser: the admin creates a user and a group,
// hides schedules by default and grants the group one schedule; signed in as
// that user, the browser shows that schedule and its run, and nothing else.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  createManualSchedule,
  launchBrowser,
  logLines,
  openHydrated,
  runNowAndWait,
  signedIn,
  startServer,
} from './helpers.mjs';

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

/** Saves access rules on the editor's page for one target. */
async function saveRules(context, kind, target, rules) {
  const page = await openHydrated(context, `${server.baseUrl}/admin/access?kind=${kind}&target=${target}`);
  await page.fill('#access-form textarea[name="rules"]', JSON.stringify(rules));
  await page.click('#save-access');
  await page.waitForSelector('#access-form .notice-ok');
  return page;
}

test('a group granted one schedule sees that schedule and its runs and nothing else', async () => {
  const admin = await signedIn(browser, server.baseUrl);

  // A user, a group, and the user in it.
  const users = await openHydrated(admin, `${server.baseUrl}/admin/users`);
  await users.fill('#create-user input[name="name"]', 'viewer');
  await users.fill('#create-user input[name="password"]', 'viewer-password');
  await users.click('#create-user button[type="submit"]');
  await users.waitForSelector('tr[data-user="viewer"]');
  await users.fill('#create-group input[name="name"]', 'readers');
  await users.click('#create-group button[type="submit"]');
  await users.waitForSelector('tr[data-group="readers"]');
  await users.fill('tr[data-group="readers"] .add-member input[name="user"]', 'viewer');
  await users.click('tr[data-group="readers"] .add-member button');
  await users.waitForSelector('tr[data-group="readers"] .member:has-text("viewer")');
  assert.equal(await users.textContent('tr[data-user="viewer"] td:nth-child(3)'), 'readers');

  // Two schedules, each with a finished run.
  const page = await openHydrated(admin, `${server.baseUrl}/schedules/new`);
  const shared = await createManualSchedule(page, {
    fn: 'log-job@1',
    data: { message: 'for the readers' },
    title: 'Shared report',
  });
  await runNowAndWait(page);
  const sharedRun = Number(new URL(page.url()).pathname.split('/').pop());
  await page.goto(`${server.baseUrl}/schedules/new`);
  await page.waitForSelector('body[data-hydrated="true"]');
  const hidden = await createManualSchedule(page, {
    fn: 'log-job@1',
    data: { message: 'not for them' },
    title: 'Private job',
  });
  await runNowAndWait(page);

  // Nobody but admins sees schedules and runs unless a schedule says so;
  // the shared one says the readers may.
  await saveRules(admin, 'worker', 'inline', {
    defaultScheduleAccess: { view: {} },
    defaultRunAccess: { view: {} },
  });
  const editor = await saveRules(admin, 'schedule', shared, {
    access: { view: { groups: ['readers'] } },
    runAccess: { view: { groups: ['readers'] }, viewLogs: { groups: ['readers'] } },
  });
  assert.equal(
    await editor.textContent('#effective-rights tr[data-user="viewer"] td:nth-child(2)'),
    'schedule: view, edit, delete · runs: view, viewLogs, delete',
  );
  await admin.close();

  // The user sees only what the group was granted.
  const viewer = await signedIn(browser, server.baseUrl, { name: 'viewer', password: 'viewer-password' });
  const schedules = await openHydrated(viewer, `${server.baseUrl}/schedules`);
  await schedules.waitForSelector('table');
  assert.deepEqual(await schedules.locator('tbody tr td:first-child a').allTextContents(), ['Shared report']);

  const runs = await openHydrated(viewer, `${server.baseUrl}/runs`);
  await runs.waitForSelector('table');
  assert.deepEqual(await runs.locator('tbody tr td:first-child a').allTextContents(), [`#${sharedRun}`]);

  const run = await openHydrated(viewer, `${server.baseUrl}/runs/${sharedRun}`);
  await run.waitForSelector('[data-stream="stdout"]');
  assert.deepEqual(await logLines(run, 'stdout'), ['for the readers']);

  const denied = await openHydrated(viewer, `${server.baseUrl}/schedules/${hidden}`);
  await denied.waitForSelector('.notice-error');
  assert.equal(await denied.textContent('.notice-error'), `schedule ${hidden} not found`);
  assert.equal(await denied.locator('nav.account a[href="/admin/users"]').count(), 0);
  await viewer.close();
});
