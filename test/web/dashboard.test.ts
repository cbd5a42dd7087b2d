/**
 * The dashboard end to end in headless Chromium against a daemon listening on
 * a random loopback port: it talks to the daemon only through the API, and
 * what it does is checked through the API. One browser and one page for the
 * file; the steps build on each other (the 2007 demo, from the page), and
 * each state the page reaches passes the accessibility audit.
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
let base: string;
const problems: string[] = [];

before(async () => {
  ({ daemon, base } = await servedDaemon({ pcpus: 2 }));
  // Something CPU-bound to share the host with, made through the API.
  assert.equal((await daemon.request('POST', '/api/v1/domains', { name: 'stubdom', start: true })).status, 201);
  browser = await launchBrowser();
  page = await desktopPage(browser, problems);
  // Every test starts on the page (the tests of its modules import them there).
  await page.goto(`${base}/`);
});

after(() => closeAll(browser, daemon));

const row = (name: string) => page.locator('#domains tbody tr', { has: page.locator(`th:text-is("${name}")`) });

test('GET / serves the page, its modules and uPlot, under a CSP that allows only its own files', async () => {
  const html = await fetch(`${base}/`);
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(await html.text(), /<script type="module" src="\/web\/app\.js">/);
  const uplot = await fetch(`${base}/web/vendor/uplot/uPlot.esm.js`);
  assert.equal(uplot.status, 200);
  assert.match(uplot.headers.get('content-type') ?? '', /javascript/);
  assert.equal((await fetch(`${base}/web/vendor/uplot/package.json`)).status, 404);
  // POST / is the Xen API's XML-RPC endpoint, not the page.
  assert.equal((await fetch(`${base}/`, { method: 'POST' })).headers.get('content-type'), 'text/xml');
});

test('the page loads with no console errors and lists Domain-0', async () => {
  await page.goto(`${base}/`);
  await row('Domain-0').waitFor();
  await row('stubdom').waitFor();
  assert.match(await page.locator('#host-summary').innerText(), /2 pCPUs, credit scheduler/);
  await assertAccessible(page, 'after load');
  assert.deepEqual(problems, []);
});

test('a domain created from the page exists in the daemon', async () => {
  await page.getByLabel('Name', { exact: true }).fill('guest');
  await page.getByLabel('Workload').selectOption('cpu');
  await page.getByRole('button', { name: 'Create' }).click();
  await row('guest').waitFor();
  const guest = await daemon.request('GET', '/api/v1/domains/guest');
  assert.equal(guest.status, 200);
  assert.equal(guest.body.state, 'running');
  assert.deepEqual(guest.body.workload, { type: 'cpu' });
  await assertAccessible(page, 'after creating a domain');
});

test('a server error is shown in plain words next to the control, and changes nothing', async () => {
  await page.getByLabel('Name', { exact: true }).fill('guest');
  await page.getByRole('button', { name: 'Create' }).click();
  const error = page.locator('#create-error');
  await error.filter({ hasText: /guest/ }).waitFor();
  assert.equal(await error.innerText(), 'A domain named "guest" exists (domid 2).');
  assert.equal((await daemon.request('GET', '/api/v1/domains')).body.length, 3);
  // Chromium logs every failed fetch; this one was asked for.
  assert.deepEqual(problems.splice(0), ['error: Failed to load resource: the server responded with a status of 409 (Conflict)']);
  await assertAccessible(page, 'with an error shown');
});

test('cap 10 on guest and stubdom added to its group, from the page, take effect in the daemon', async () => {
  await page.getByLabel('Cap of guest', { exact: true }).fill('10');
  await page.getByRole('button', { name: 'Set cap of guest' }).click();
  await page.getByLabel('Master').selectOption('guest');
  await page.getByLabel('Add member').selectOption('stubdom');
  await page.getByRole('button', { name: 'Add to group' }).click();
  await page.locator('#groups h3', { hasText: "guest's group" }).waitFor();
  assert.deepEqual((await daemon.request('GET', '/api/v1/domains/guest/sched')).body, { weight: 256, cap: 10 });
  const group = (await daemon.request('GET', '/api/v1/scheduling-domains/guest')).body;
  assert.equal(group.master, (await daemon.request('GET', '/api/v1/domains/guest')).body.id);
  assert.deepEqual(group.members.map((member: { domain: number }) => member.domain), [(await daemon.request('GET', '/api/v1/domains/stubdom')).body.id]);
  assert.equal(await page.getByLabel('Cap of guest', { exact: true }).inputValue(), '10');
  await assertAccessible(page, 'with a scheduling domain');
});

test('changes made elsewhere reach the page through the event stream, read by their type', async () => {
  // domain.sched carries the new weight and cap; clock.updated the new speed.
  assert.equal((await daemon.request('PUT', '/api/v1/domains/stubdom/sched', { weight: 300 })).status, 200);
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(selector: string): { value: string } | null } }).document.querySelector('#domain-1-weight')?.value === '300');
  assert.equal((await daemon.request('PUT', '/api/v1/host/clock', { speed: 10 })).status, 200);
  await page.locator('#clock-speed', { hasText: '×10' }).waitFor();
  assert.equal((await daemon.request('PUT', '/api/v1/host/clock', { speed: 0 })).status, 200);
  await page.locator('#clock-speed', { hasText: 'frozen' }).waitFor();
  assert.equal((await daemon.request('PUT', '/api/v1/domains/stubdom/sched', { weight: 256 })).status, 200);
});

/** What the page functions below read in the browser (the tests are typed without the DOM library). */
interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number }; querySelector(selector: string): { textContent: string | null } | null };
}

/** The group's CPU % as the page shows it, once it has one. */
async function groupPct(): Promise<number> {
  const text = await page.locator('[data-group] .group-pct').innerText();
  return Number(text);
}

test('with the clock at speed 1000, the chart and the table update and the group settles at 10 %', async () => {
  await page.getByRole('button', { name: '×1000' }).click();
  await page.getByRole('button', { name: '×1000' }).and(page.locator('[aria-pressed="true"]')).waitFor();
  assert.equal((await daemon.request('GET', '/api/v1/host')).body.clock.speed, 1000);
  // Shares come from successive samples: wait until two in a row agree on 10 within 0.5.
  const seen: number[] = [];
  await page.locator('[data-group] .group-pct').filter({ hasNotText: '–' }).waitFor();
  while (seen.length < 2 || !seen.slice(-2).every((pct) => Math.abs(pct - 10) <= 0.5)) {
    assert.ok(seen.length < 30, `the group's CPU % did not settle at 10: ${seen.join(', ')}`);
    const previous = await page.locator('#sample-note').innerText();
    await page.locator('#sample-note').filter({ hasNotText: previous }).waitFor();
    seen.push(await groupPct());
    // The header's simulated time keeps up with the samples (it is that sample's, or a later reading's).
    const [header, sampled] = await page.evaluate(() => ['#clock-now', '#sample-note'].map((selector) => Number(/[0-9]+\.[0-9]+/.exec((globalThis as unknown as BrowserGlobals).document.querySelector(selector)?.textContent ?? '')?.[0])));
    assert.ok(header! >= sampled!, `header ${header} s, last sample ${sampled} s`);
  }
  const guestPct = Number(await row('guest').locator('.cpu-pct').innerText());
  const stubPct = Number(await row('stubdom').locator('.cpu-pct').innerText());
  assert.ok(Math.abs(guestPct - 5) < 0.6 && Math.abs(stubPct - 5) < 0.6, `equal shares split the 10 %: ${guestPct} and ${stubPct}`);
  // The cumulative CPU time is read again every few seconds.
  await page.waitForFunction(() => Number((globalThis as unknown as BrowserGlobals).document.querySelector('#domains tr[data-domain="2"] .cpu-time')?.textContent) > 0);
  // The chart has drawn its stacked bands and names each domain in its legend.
  assert.ok(await page.locator('#chart canvas').count() >= 1);
  assert.deepEqual(await page.locator('#chart .u-legend .u-series .u-label').allInnerTexts(), ['simulated time', 'guest', 'stubdom', 'Domain-0']);
  const legendValues = await page.locator('#chart .u-legend .u-series .u-value').allInnerTexts();
  assert.ok(legendValues.slice(1, 3).every((value) => Math.abs(parseFloat(value) - 5) < 0.6), `the legend gives the latest shares: ${legendValues.join(', ')}`);
  // Each busy pCPU names the vCPU that kept it busiest over the averaging window, not what runs at one instant.
  await page.locator('#pcpus .pcpu-what', { hasText: 'busiest' }).first().waitFor();
  for (const item of await page.locator('#pcpus li').all()) {
    const busy = parseFloat(await item.locator('.pcpu-busy').innerText());
    const what = await item.locator('.pcpu-what').innerText();
    if (busy > 0) assert.match(what, /^busiest in the last 60 s: (guest|stubdom) vCPU 0, [0-9.]+ %$|moved on/, `${busy} % busy: ${what}`);
  }
  await assertAccessible(page, 'at speed 1000');
  assert.deepEqual(problems, []);
});

test('screenshots at desktop and phone width', async () => {
  await page.screenshot({ path: new URL('dashboard-desktop.png', ARTIFACTS_DIR).pathname, fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  // Readable at 360 px: nothing makes the page scroll sideways (the chart follows its box).
  await page.waitForFunction(() => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth <= 360);
  await page.screenshot({ path: new URL('dashboard-phone.png', ARTIFACTS_DIR).pathname, fullPage: true });
  await assertAccessible(page, 'at phone width');
  assert.deepEqual(problems, []);
});

test('with a token, the page asks once, keeps it for the tab and sends it as a header, never in a URL', async () => {
  const { daemon: secured, base: securedBase } = await servedDaemon({ pcpus: 1, token: 'dashboard-test-token-0123456789' });
  try {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const urls: string[] = [];
    const authorized: string[] = [];
    tab.on('request', (request) => {
      urls.push(request.url());
      if (request.headers()['authorization'] === 'Bearer dashboard-test-token-0123456789') authorized.push(new URL(request.url()).pathname);
    });
    // The event stream opens once the first page is drawn: wait for it rather than for a moment.
    const streamOpened = tab.waitForRequest((request) => new URL(request.url()).pathname === '/api/v1/events');
    await tab.goto(`${securedBase}/`);
    await tab.getByLabel('Bearer token').waitFor();
    await assertAccessible(tab, 'asking for the token');
    await tab.getByLabel('Bearer token').fill('dashboard-test-token-0123456789');
    await tab.getByRole('button', { name: 'Use token' }).click();
    await tab.locator('#domains tbody th', { hasText: 'Domain-0' }).waitFor();
    await tab.locator('#banner').waitFor({ state: 'hidden' });
    await streamOpened;
    assert.ok(authorized.includes('/api/v1/domains') && authorized.includes('/api/v1/events'), `sent with the header: ${authorized.join(', ')}`);
    assert.ok(urls.every((url) => !url.includes('dashboard-test-token')), 'the token is in no URL');
    assert.equal(await tab.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('nemesis.token')), 'dashboard-test-token-0123456789');
    await context.close();
  } finally {
    await secured.close();
    secured.dir.remove();
  }
});

/** The page's own modules, loaded in the page (they are browser code, not Node's). */
type Modules = {
  createEventParser(emit: (event: unknown) => void): (chunk: string) => void;
  sampleBetween(before: unknown, after: unknown): Sample | undefined;
  sampleFromEvent(data: unknown): Sample;
  groupShares(domains: Map<number, number>, groups: unknown[]): Map<number, number>;
  createUsageWindow(keep_ns: () => number): { add(sample: Sample): void; averaged(average_ns: number): { now_ns: number; domains: Map<number, number>; pcpus: number[] }[] };
};
type Sample = { now_ns: number; window_ns: number; domains: Map<number, number>; pcpus: number[] };

test('the stream parser: events split across chunks, comments, multi-line data, the last id kept', async () => {
  const events = await page.evaluate(async () => {
    const { createEventParser } = (await import('/web/event-stream.js' as string)) as Modules;
    const seen: unknown[] = [];
    const feed = createEventParser((event) => seen.push(event));
    for (const chunk of [': connected\n\n', 'id: 7\nevent: domain.sched\nda', 'ta: {"a":1}\r\n\r\n', ': heartbeat\n\nevent: usage\ndata: x\ndata: y\n', '\n']) feed(chunk);
    return seen;
  });
  assert.deepEqual(events, [{ id: '7', type: 'domain.sched', data: '{"a":1}' }, { id: '7', type: 'usage', data: 'x\ny' }]);
});

test('polled shares: CPU time over simulated time, a group as the sum of its domains, a loose clock reading refused', async () => {
  const result = await page.evaluate(async () => {
    const { sampleBetween } = (await import('/web/usage-source.js' as string)) as Modules;
    const { groupShares } = (await import('/web/usage-window.js' as string)) as Modules;
    const group = { master: 1, members: [{ domain: 2 }] };
    const before = { now_ns: 0, uncertainty_ns: 0, domains: [{ id: 1, cpu_time_ns: 0 }, { id: 2, cpu_time_ns: 1e9 }], pcpus: [{ id: 0, busy_ns: 0 }] };
    const after = { now_ns: 4e9, uncertainty_ns: 0, domains: [{ id: 1, cpu_time_ns: 2e8 }, { id: 2, cpu_time_ns: 1.2e9 }, { id: 3, cpu_time_ns: 5e8 }], pcpus: [{ id: 0, busy_ns: 4e8 }] };
    const sample = sampleBetween(before, after);
    return {
      domains: [...(sample?.domains ?? [])],
      groups: [...groupShares(sample?.domains ?? new Map(), [group])],
      pcpus: sample?.pcpus,
      window_ns: sample?.window_ns,
      frozen: sampleBetween(before, { ...after, now_ns: 0 }) === undefined,
      loose: sampleBetween(before, { ...after, uncertainty_ns: 8e7 + 1 }) === undefined,
      tight: sampleBetween(before, { ...after, uncertainty_ns: 8e7 }) !== undefined,
    };
  });
  // 0.2 s and 0.2 s of CPU in 4 s: 5 % each, 10 % together; domain 3 is new, so unknown; the pCPU was busy 10 %.
  // Clock readings uncertain by 2 % of the window in all are the most allowed.
  assert.deepEqual(result, { domains: [[1, 5], [2, 5]], groups: [[1, 10]], pcpus: [10], window_ns: 4e9, frozen: true, loose: true, tight: true });
});

test("a usage event's data as the stream sends it becomes the same sample", async () => {
  const sample = await page.evaluate(async () => {
    const { sampleFromEvent } = (await import('/web/usage-source.js' as string)) as Modules;
    const data = {
      now_ns: 9e9, interval_ns: 1e9, speed: 1000, busy_pct: 10,
      domains: [{ id: 0, observed_pct: 0 }, { id: 1, observed_pct: 5 }, { id: 2, observed_pct: 5 }],
      scheduling_domains: [{ master: 1, observed_pct: 10 }],
      pcpus: [{ id: 1, busy_pct: 4 }, { id: 0, busy_pct: 6 }],
    };
    const result = sampleFromEvent(data);
    return { ...result, domains: [...result.domains] };
  });
  assert.deepEqual(sample, { now_ns: 9e9, window_ns: 1e9, domains: [[0, 0], [1, 5], [2, 5]], pcpus: [6, 4] });
});

test('averaging: each point is the mean of the samples whose middle is in the window before it, weighted by their length; an overlap is trimmed', async () => {
  const points = await page.evaluate(async () => {
    const { createUsageWindow } = (await import('/web/usage-window.js' as string)) as Modules;
    const window = createUsageWindow(() => 100e9);
    const sample = (now_s: number, window_s: number, pct: number) => ({ now_ns: now_s * 1e9, window_ns: window_s * 1e9, domains: new Map([[1, pct]]), pcpus: [pct] });
    for (const [now_s, window_s, pct] of [[1, 1, 12], [2, 1, 6], [4, 2, 9], [5, 3, 20], [5, 1, 99]] as const) window.add(sample(now_s, window_s, pct));
    return window.averaged(2e9).map((point) => [point.now_ns / 1e9, point.domains.get(1), point.pcpus[0]]);
  });
  // 2 s windows: at 2 s, the samples ending at 1 and 2 s (middles 0.5 and 1.5 s, both in [0, 2]); at 4 s the 2 s one alone
  // (middle 3 s; 1.5 s is out); at 5 s, the one given as [2, 5] trimmed to [4, 5] (it overlaps the newest) with [2, 4]
  // (middle 3 s, in): (9·2 + 20·1) / 3. The second sample ending at 5 s is not newer, so it is dropped.
  assert.deepEqual(points, [[1, 12, 12], [2, 9, 9], [4, 9, 9], [5, (9 * 2 + 20) / 3, (9 * 2 + 20) / 3]]);
});
