/**
 * No lost updates: every edit the dashboard makes carries the version of what
 * the user saw (If-Match). Two pages racing on one domain: exactly one wins,
 * the other shows "Changed by someone else: now …" next to its control with
 * the value re-read, keeps what its user typed, and succeeds when they press
 * Set again. The same against a direct API write, for a group's share and for
 * the scheduler's settings.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page, Request } from 'playwright-core';
import type { TestDaemon } from '../helpers.ts';
import { assertAccessible } from './axe.ts';
import { ARTIFACTS_DIR, closeAll, desktopPage, launchBrowser, servedDaemon } from './browser.ts';

let daemon: TestDaemon & { dir: { remove(): void } };
let browser: Browser;
let first: Page;
let second: Page;
const problems: string[] = [];
/** Every change either page sent, with its If-Match. */
const changes: { page: string; method: string; path: string; ifMatch: string | undefined }[] = [];

const CONFLICT = 'error: Failed to load resource: the server responded with a status of 412 (Precondition Failed)';

before(async () => {
  let base: string;
  ({ daemon, base } = await servedDaemon({ pcpus: 2 }));
  for (const name of ['guest', 'stub']) assert.equal((await daemon.request('POST', '/api/v1/domains', { name, start: true })).status, 201);
  assert.equal((await daemon.request('POST', '/api/v1/scheduling-domains', { master: 'guest', members: [{ domain: 'stub' }] })).status, 201);
  browser = await launchBrowser();
  first = await desktopPage(browser, problems);
  second = await desktopPage(browser, problems);
  for (const [label, page] of [['first', first], ['second', second]] as const) {
    page.on('request', (request: Request) => {
      if (request.method() === 'GET') return;
      changes.push({ page: label, method: request.method(), path: new URL(request.url()).pathname, ifMatch: request.headers()['if-match'] });
    });
    await page.goto(`${base}/`);
  }
});

after(() => closeAll(browser, daemon));

const weight = (page: Page) => page.getByLabel('Weight of guest', { exact: true });
const version = async (path: string): Promise<string> => `"${/"([0-9]+)"/.exec(String((await daemon.request('GET', path)).headers['etag']))?.[1]}"`;

test('two pages set the weight of one domain: the first wins, the second shows the conflict with the value now, then succeeds', async () => {
  for (const page of [first, second]) await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { value: string } | null } }).document.querySelector('#domain-1-weight')?.value === '256');
  const seen = await version('/api/v1/domains/guest');
  // Both users start from weight 256; the second types 1024 but has not pressed Set yet.
  await weight(second).fill('1024');
  await weight(first).fill('512');
  await first.getByRole('button', { name: 'Set weight of guest' }).click();
  await first.locator('#domain-1-weight[value="512"]').waitFor({ state: 'attached' });
  assert.equal((await daemon.request('GET', '/api/v1/domains/guest/sched')).body.weight, 512);
  // The second page hears of the change, but keeps what its user typed.
  await second.getByRole('button', { name: 'Set weight of guest' }).click();
  const error = second.locator('#domain-1-error');
  await error.filter({ hasText: 'someone else' }).waitFor();
  assert.equal(await error.innerText(), 'Changed by someone else: now weight 512. Nothing was changed; press Set again to make it 1024.');
  assert.equal((await daemon.request('GET', '/api/v1/domains/guest/sched')).body.weight, 512, 'exactly one won');
  assert.equal(await weight(second).inputValue(), '1024', 'what the user typed is kept, to decide on');
  assert.deepEqual(changes.splice(0).map(({ page, ifMatch }) => [page, ifMatch]), [['first', seen], ['second', seen]], 'both sent the version they showed');
  assert.deepEqual(problems.splice(0), [CONFLICT]);
  await assertAccessible(second, 'with a conflict shown');
  await second.locator('#domains').screenshot({ path: new URL('conflict.png', ARTIFACTS_DIR).pathname });
  // Re-read: Set again sends the version now, and wins.
  const now = await version('/api/v1/domains/guest');
  await second.getByRole('button', { name: 'Set weight of guest' }).click();
  await first.locator('#domain-1-weight[value="1024"]').waitFor({ state: 'attached' });
  assert.equal((await daemon.request('GET', '/api/v1/domains/guest/sched')).body.weight, 1024);
  assert.equal(await error.innerText(), '');
  assert.deepEqual(changes.splice(0).map(({ page, ifMatch }) => [page, ifMatch]), [['second', now]]);
});

test("a group's share changed by a direct API write: the page's Set is refused with the shares now, then succeeds", async () => {
  const share = first.getByLabel('Share of stub', { exact: true });
  await share.fill('400');
  assert.equal((await daemon.request('PUT', '/api/v1/scheduling-domains/guest/members/stub', { share: 300 })).status, 200);
  await first.getByRole('button', { name: 'Set share of stub' }).click();
  const error = first.locator('#group-1-error');
  await error.filter({ hasText: 'someone else' }).waitFor();
  assert.equal(await error.innerText(), 'Changed by someone else: now guest share 256, stub share 300. Nothing was changed; press Set again to make it 400.');
  assert.equal(await share.inputValue(), '400');
  await first.getByRole('button', { name: 'Set share of stub' }).click();
  await first.locator('#group-1-share-2[value="400"]').waitFor({ state: 'attached' });
  assert.equal(await error.innerText(), '');
  const group = (await daemon.request('GET', '/api/v1/scheduling-domains/guest')).body;
  assert.equal(group.members[0].share, 400);
  assert.deepEqual(problems.splice(0), [CONFLICT]);
  assert.ok(changes.splice(0).every((change) => change.ifMatch !== undefined), 'each change carried If-Match');
});

test('power actions, the scheduler form and a removal send the version shown', async () => {
  const guestVersion = await version('/api/v1/domains/guest');
  await first.getByRole('button', { name: 'pause guest' }).click();
  await first.getByRole('button', { name: 'unpause guest' }).waitFor();
  const answered = (method: string, path: string) => first.waitForResponse((response) => response.request().method() === method && new URL(response.url()).pathname === path);
  const schedulerVersion = await version('/api/v1/scheduler');
  await first.getByLabel('Timeslice (ms)').fill('20');
  await Promise.all([answered('PUT', '/api/v1/scheduler'), first.getByRole('button', { name: 'Apply' }).click()]);
  assert.equal((await daemon.request('GET', '/api/v1/scheduler')).body.tslice_ms, 20);
  const groupVersion = await version('/api/v1/scheduling-domains/guest');
  await first.getByRole('button', { name: "Remove stub from guest's group" }).click();
  await first.getByRole('button', { name: "Remove stub from guest's group" }).waitFor({ state: 'detached' });
  assert.deepEqual(changes.splice(0).map(({ method, path, ifMatch }) => [method, path, ifMatch]), [
    ['POST', '/api/v1/domains/guest/pause', guestVersion],
    ['PUT', '/api/v1/scheduler', schedulerVersion],
    ['DELETE', '/api/v1/scheduling-domains/guest/members/stub', groupVersion],
  ]);
  // A scheduler change made elsewhere while the user is in the form: Apply is refused with the settings now.
  await second.getByLabel('Timeslice (ms)').fill('40');
  assert.equal((await daemon.request('PUT', '/api/v1/scheduler', { ratelimit_us: 500 })).status, 200);
  await second.getByRole('button', { name: 'Apply' }).click();
  await second.locator('#scheduler-error').filter({ hasText: 'someone else' }).waitFor();
  assert.equal(await second.locator('#scheduler-error').innerText(), 'Changed by someone else: now timeslice 20 ms, ratelimit 500 µs, accounting exact. Nothing was changed; press Apply again to make it yours.');
  assert.equal((await daemon.request('GET', '/api/v1/scheduler')).body.tslice_ms, 20);
  assert.deepEqual(problems.splice(0), [CONFLICT]);
});
