/**
 * Cpupools on the dashboard: each domain's pool in the table, a panel per
 * pool (scheduler, its parameters, pCPUs, runqueues under credit2, domains),
 * moving a domain between pools from its row, the API's refusal shown next to
 * the control, and the panel kept live by the event stream.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestDaemon } from '../helpers.ts';
import { assertAccessible } from './axe.ts';
import { ARTIFACTS_DIR, closeAll, desktopPage, launchBrowser, servedDaemon } from './browser.ts';

let daemon: TestDaemon & { dir: { remove(): void } };
let browser: Browser;
let page: Page;
const problems: string[] = [];

before(async () => {
  let base: string;
  ({ daemon, base } = await servedDaemon({ pcpus: 4 }));
  for (const body of [{ name: 'web', start: true }, { name: 'db', start: true }, { name: 'guest', start: true }, { name: 'stub', start: true }]) {
    assert.equal((await daemon.request('POST', '/api/v1/domains', body)).status, 201);
  }
  assert.equal((await daemon.request('POST', '/api/v1/scheduling-domains', { master: 'guest', members: [{ domain: 'stub' }] })).status, 201);
  for (const pcpu of [2, 3]) assert.equal((await daemon.request('DELETE', `/api/v1/cpupools/Pool-0/pcpus/${pcpu}`)).status, 200);
  assert.equal((await daemon.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [2, 3] })).status, 201);
  browser = await launchBrowser();
  page = await desktopPage(browser, problems);
  await page.goto(`${base}/`);
});

after(() => closeAll(browser, daemon));

const row = (name: string) => page.locator('#domains tbody tr', { has: page.locator(`th:text-is("${name}")`) });
const pool = (name: string) => page.locator(`[data-cpupool="${name}"]`);

test("the pool panel shows each pool's scheduler, parameters, pCPUs, runqueues and domains; the table each domain's pool", async () => {
  await pool('batch').waitFor();
  assert.equal(await pool('Pool-0').locator('.pool-sched').innerText(), 'credit, profile xen-4.x');
  assert.equal(await pool('Pool-0').locator('.pool-pcpus').innerText(), '0–1');
  assert.equal(await pool('Pool-0').locator('.pool-runqueues').count(), 0, 'credit has a queue per pCPU: no runqueues shown');
  assert.match(await pool('Pool-0').locator('.pool-domains').innerText(), /^5 domains: Domain-0, web, db, guest, stub/);
  assert.equal(await pool('batch').locator('.pool-sched').innerText(), 'credit2, profile xen-4.21');
  assert.equal(await pool('batch').locator('.pool-parameters').innerText(), 'ratelimit_us 1000, inflight_credit true, runqueue socket');
  assert.equal(await pool('batch').locator('.pool-pcpus').innerText(), '2–3');
  assert.equal(await pool('batch').locator('.pool-runqueues').innerText(), '0: pCPUs 2–3');
  assert.equal(await pool('batch').locator('.pool-domains').innerText(), '0 domains');
  assert.equal(await row('web').getByLabel('Cpupool of web').inputValue(), 'Pool-0');
  assert.equal(await row('Domain-0').locator('td[data-label="Cpupool"]').innerText(), 'Pool-0');
  await assertAccessible(page, 'with two cpupools');
});

test('moving a domain from its row: the daemon has it in the new pool and the panel follows', async () => {
  const moves: { ifMatch: string | undefined }[] = [];
  const listen = (request: { url(): string; method(): string; headers(): Record<string, string> }): void => {
    if (request.method() === 'PUT' && request.url().endsWith('/api/v1/domains/web/cpupool')) moves.push({ ifMatch: request.headers()['if-match'] });
  };
  page.on('request', listen);
  const seen = (await daemon.request('GET', '/api/v1/domains/web')).headers['etag'];
  await row('web').getByLabel('Cpupool of web').selectOption('batch');
  await row('web').getByRole('button', { name: 'Move web to the chosen cpupool' }).click();
  await pool('batch').locator('.pool-domains', { hasText: '1 domain: web' }).waitFor();
  page.off('request', listen);
  assert.equal((await daemon.request('GET', '/api/v1/domains/web')).body.cpupool, 'batch');
  // Sent with the version the row showed.
  assert.deepEqual(moves, [{ ifMatch: String(seen).replace(/^W\//, '') }]);
  await row('web').locator('select:has(option[value="batch"]:checked)').waitFor();
  assert.match(await pool('Pool-0').locator('.pool-domains').innerText(), /^4 domains: Domain-0, db, guest, stub/);
});

test("a grouped domain's move is refused with the API's message next to the control, and nothing moves", async () => {
  await row('stub').getByLabel('Cpupool of stub').selectOption('batch');
  await row('stub').getByRole('button', { name: 'Move stub to the chosen cpupool' }).click();
  const error = page.locator('#domain-4-error');
  await error.filter({ hasText: 'scheduling domain' }).waitFor();
  assert.equal(await error.innerText(), "Domain stub is a member of guest's scheduling domain, which stays in one cpupool; remove it from the group first.");
  assert.equal((await daemon.request('GET', '/api/v1/domains/stub')).body.cpupool, 'Pool-0');
  assert.deepEqual(problems.splice(0), ['error: Failed to load resource: the server responded with a status of 409 (Conflict)']);
  await assertAccessible(page, 'with a refused move');
  await page.locator('#cpupools-title').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('cpupools.png', ARTIFACTS_DIR).pathname, fullPage: true });
});

test('pools made, changed and destroyed elsewhere reach the panel through the event stream', async () => {
  assert.equal((await daemon.request('DELETE', '/api/v1/cpupools/batch/pcpus/3')).status, 200);
  await pool('batch').locator('.pool-pcpus', { hasText: /^2$/ }).waitFor();
  await page.locator('#free-pcpus', { hasText: 'Free pCPUs (in no pool): 3.' }).waitFor();
  assert.equal((await daemon.request('POST', '/api/v1/cpupools', { name: 'rt', sched: 'credit', pcpus: [3] })).status, 201);
  await pool('rt').waitFor();
  assert.equal((await daemon.request('PUT', '/api/v1/cpupools/batch/scheduler', { ratelimit_us: 500 })).status, 200);
  await pool('batch').locator('.pool-parameters', { hasText: 'ratelimit_us 500,' }).waitFor();
  assert.equal((await daemon.request('PUT', '/api/v1/domains/db/cpupool', { cpupool: 'rt' })).status, 200);
  await pool('rt').locator('.pool-domains', { hasText: '1 domain: db' }).waitFor();
  await row('db').locator('select:has(option[value="rt"]:checked)').waitFor();
  assert.equal((await daemon.request('PUT', '/api/v1/domains/db/cpupool', { cpupool: 'Pool-0' })).status, 200);
  assert.equal((await daemon.request('DELETE', '/api/v1/cpupools/rt')).status, 204);
  await pool('rt').waitFor({ state: 'detached' });
  assert.deepEqual(problems, []);
  await assertAccessible(page, 'after pool changes elsewhere');
});
