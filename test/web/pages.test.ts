/**
 * The dashboard on a large host: the domains table asks for one page
 * (`limit`), never the whole list, shows the count the API gives, pages
 * forward to the last domain and back, and filters by name prefix, state and
 * cpupool through the API's own filters. The host is made through the API
 * (frozen clock, no rate limit); what the page asks for is recorded.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestDaemon } from '../helpers.ts';
import { assertAccessible } from './axe.ts';
import { ARTIFACTS_DIR, closeAll, desktopPage, launchBrowser, servedDaemon } from './browser.ts';

/** Guests on the host, besides Domain-0. */
const GUESTS = 2000;
const PAGE_LIMIT = 50;
const PAGES = Math.ceil((GUESTS + 1) / PAGE_LIMIT);

let daemon: TestDaemon & { dir: { remove(): void } };
let browser: Browser;
let page: Page;
let base: string;
const problems: string[] = [];
/** Every /api/v1/domains request the page made, as path and query. */
const domainRequests: string[] = [];
/** The domains each /api/v1/host/usage request asked for (null: all). */
const usageRequests: (string | null)[] = [];
/** Who waits for the page to have made so many usage requests. */
const usageWaiters: { readonly count: number; readonly resolve: () => void }[] = [];

/** Once the page has asked for usage `count` times: the history goes out first, the expected shares once the spec is read. */
function usageRequested(count: number): Promise<void> {
  if (usageRequests.length >= count) return Promise.resolve();
  return new Promise((resolve) => usageWaiters.push({ count, resolve }));
}

const name = (i: number): string => `vm-${String(i).padStart(4, '0')}`;

before(async () => {
  ({ daemon, base } = await servedDaemon({ pcpus: 4, rateLimitPerMinute: 0 }));
  for (let i = 1; i <= GUESTS; i++) {
    const made = await daemon.request('POST', '/api/v1/domains', { name: name(i), start: i <= 3 });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
  assert.equal((await daemon.request('DELETE', '/api/v1/cpupools/Pool-0/pcpus/3')).status, 200);
  assert.equal((await daemon.request('POST', '/api/v1/cpupools', { name: 'batch', pcpus: [3] })).status, 201);
  for (const domain of [name(1500), name(1999)]) assert.equal((await daemon.request('PUT', `/api/v1/domains/${domain}/cpupool`, { cpupool: 'batch' })).status, 200);
  browser = await launchBrowser();
  page = await desktopPage(browser, problems);
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/api/v1/domains') domainRequests.push(`${url.pathname}${url.search}`);
    if (url.pathname !== '/api/v1/host/usage') return;
    usageRequests.push(url.searchParams.get('domains'));
    for (const waiter of usageWaiters) if (usageRequests.length >= waiter.count) waiter.resolve();
  });
});

after(() => closeAll(browser, daemon));

const status = () => page.locator('#page-status');
const rowNames = () => page.locator('#domains tbody tr[data-domain] th').allInnerTexts();

test(`on a host of ${GUESTS + 1} domains the first paint asks for the first page of ${PAGE_LIMIT} only, and says how many there are`, async () => {
  await page.goto(`${base}/`);
  await status().filter({ hasText: `Domains 1–50 of ${(GUESTS + 1).toLocaleString('en')}, page 1 of ${PAGES}` }).waitFor();
  // Each read of the table (the first, and any refresh an event asked for meanwhile) is the first page alone.
  assert.ok(domainRequests.length >= 1);
  for (const request of domainRequests) {
    const query = new URLSearchParams(request.split('?')[1]);
    assert.deepEqual([query.get('limit'), query.get('cursor')], [String(PAGE_LIMIT), null], request);
  }
  const names = await rowNames();
  assert.deepEqual(names, ['Domain-0', ...Array.from({ length: PAGE_LIMIT - 1 }, (_, i) => name(i + 1))]);
  // The usage history and the expected shares: the rows of the page's domains only.
  await usageRequested(2);
  for (const domains of usageRequests) assert.equal(domains, Array.from({ length: PAGE_LIMIT }, (_, i) => i).join(','));
  assert.equal(await page.locator('#page-previous').isDisabled(), true);
  // The pool panel counts the domains of each pool rather than listing thousands.
  assert.match(await page.locator('[data-cpupool="Pool-0"] .pool-domains').innerText(), new RegExp(`^${GUESTS - 1} domains: Domain-0, vm-0001, .*, and ${GUESTS - 1 - 12} more`));
  await page.screenshot({ path: new URL('pages-first.png', ARTIFACTS_DIR).pathname, fullPage: true });
  await assertAccessible(page, 'a large host, first page');
});

test('Next page walks to the last domain, each domain once; Previous goes back', async () => {
  const seen: string[] = await rowNames();
  for (let index = 2; index <= PAGES; index++) {
    await page.locator('#page-next').click();
    await status().filter({ hasText: `page ${index} of ${PAGES}` }).waitFor();
    seen.push(...(await rowNames()));
  }
  assert.deepEqual(seen, ['Domain-0', ...Array.from({ length: GUESTS }, (_, i) => name(i + 1))], 'every domain once, in domid order');
  assert.equal(await page.locator('#page-next').isDisabled(), true, 'the last page has no next');
  assert.match(await status().innerText(), new RegExp(`^Domains ${((PAGES - 1) * PAGE_LIMIT + 1).toLocaleString('en')}–${(GUESTS + 1).toLocaleString('en')} of`));
  await page.locator('#page-previous').click();
  await status().filter({ hasText: `page ${PAGES - 1} of ${PAGES}` }).waitFor();
  assert.equal((await rowNames())[0], name((PAGES - 2) * PAGE_LIMIT));
  assert.ok(domainRequests.every((request) => new URLSearchParams(request.split('?')[1]).get('limit') === String(PAGE_LIMIT)), 'never the whole list');
});

test('the filter box narrows the table with the API filters: name prefix, state, cpupool', async () => {
  await page.getByLabel('Name starts with').fill('vm-19');
  await page.getByRole('button', { name: 'Filter' }).click();
  await status().filter({ hasText: 'Domains 1–50 of 100, page 1 of 2' }).waitFor();
  assert.equal((await rowNames())[0], name(1900));
  await page.getByLabel('Name starts with').fill('');
  await page.getByLabel('State').selectOption('running');
  await page.getByRole('button', { name: 'Filter' }).click();
  await status().filter({ hasText: 'of 4, page 1 of 1' }).waitFor();
  assert.deepEqual(await rowNames(), ['Domain-0', name(1), name(2), name(3)]);
  await page.getByLabel('State').selectOption('');
  // A pool's "Show in the table" is the cpupool filter.
  await page.getByRole('button', { name: 'Show in the table: the domains of batch' }).click();
  await status().filter({ hasText: 'of 2, page 1 of 1' }).waitFor();
  assert.deepEqual(await rowNames(), [name(1500), name(1999)]);
  assert.equal(await page.getByLabel('Cpupool', { exact: true }).inputValue(), 'batch');
  const last = new URLSearchParams(domainRequests.at(-1)!.split('?')[1]);
  assert.equal(last.get('cpupool'), 'batch');
  await assertAccessible(page, 'filtered by cpupool');
  assert.deepEqual(problems, []);
});
