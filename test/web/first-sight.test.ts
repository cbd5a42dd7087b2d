/**
 * The dashboard as it first opens on the 2007 demo (a master capped at 10 and
 * its member, on 4 pCPUs) that has run for 90 simulated seconds, with the
 * clock frozen so nothing live arrives: everything it shows comes from one
 * load, the chart from the daemon's usage history. Figures are checked
 * against the same history read through the API.
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
const ids: Record<string, number> = {};

interface Step { now_ns: number; interval_ns: number; domains: { id: number; observed_pct: number }[] }

before(async () => {
  ({ daemon, base } = await servedDaemon({ pcpus: 4 }));
  for (const name of ['guest', 'stubdom']) {
    const created = await daemon.request('POST', '/api/v1/domains', { name, start: true });
    assert.equal(created.status, 201);
    ids[name] = created.body.id;
  }
  assert.equal((await daemon.request('PUT', '/api/v1/domains/guest/sched', { cap: 10 })).status, 200);
  assert.equal((await daemon.request('POST', '/api/v1/scheduling-domains/guest/members', { domain: 'stubdom' })).status, 201);
  assert.equal((await daemon.request('POST', '/api/v1/host/clock/advance', { ms: 90_000 })).status, 200);
  browser = await launchBrowser();
  page = await desktopPage(browser, problems);
  await page.goto(`${base}/`);
  await page.locator('html[data-loaded]').waitFor({ state: 'attached' });
});

after(() => closeAll(browser, daemon));

/** The group's share per step of the history, as the API gives it (the page asks for the last 2 minutes in 1 s steps). */
async function groupSteps(): Promise<{ end_ns: number; interval_ns: number; pct: number }[]> {
  const report = await daemon.request('GET', '/api/v1/host/usage?window_ms=120000&step_ms=1000');
  assert.equal(report.status, 200);
  return (report.body.series as Step[]).map((step) => ({
    end_ns: step.now_ns,
    interval_ns: step.interval_ns,
    pct: step.domains.filter((row) => row.id === ids['guest'] || row.id === ids['stubdom']).reduce((sum, row) => sum + row.observed_pct, 0),
  }));
}

/** The mean of the steps whose middle lies in the last `average_s` before the newest one's end, weighted by their length. */
function meanOver(steps: { end_ns: number; interval_ns: number; pct: number }[], average_s: number, upto = steps.length - 1): number {
  const end_ns = steps[upto]!.end_ns;
  const inside = steps.slice(0, upto + 1).filter((step, i) => i === upto || step.end_ns - step.interval_ns / 2 >= end_ns - average_s * 1e9);
  return inside.reduce((sum, step) => sum + step.pct * step.interval_ns, 0) / inside.reduce((sum, step) => sum + step.interval_ns, 0);
}

const shown = async (selector: string): Promise<number> => Number(await page.locator(selector).first().innerText());

test('at the load event, with nothing live: the header, the table, the pCPUs and a chart of the history kept', async () => {
  // The page has said its first figures are drawn (data-loaded); nothing live has come, the clock is frozen.
  assert.notEqual(await page.locator('[data-group] .group-pct').innerText(), '–');
  assert.match(await page.locator('#host-summary').innerText(), /^4 pCPUs, credit scheduler/);
  assert.match(await page.locator('#clock-now').innerText(), /^[0-9]+\.[0-9]{3} s$/);
  assert.notEqual(await page.locator('#tslice').inputValue(), '');
  assert.equal(await page.locator('#pcpus li').count(), 4);
  // The history covers the 90 s since boot, one point per second of it: the page has them all.
  const steps = await groupSteps();
  assert.ok(steps.length >= 90, `${steps.length} steps`);
  assert.equal(Number(await page.locator('#chart').getAttribute('data-points')), steps.length);
  assert.match(await page.locator('#sample-note').innerText(), /mean over the last 60 s of simulated time .* from the daemon's usage history/);
  await page.screenshot({ path: new URL('first-sight-desktop.png', ARTIFACTS_DIR).pathname, fullPage: true });
  await assertAccessible(page, 'at load');
  assert.deepEqual(problems, []);
});

test('the figures are the 1 min mean of the history, and read the 10 % the cap gives', async () => {
  const steps = await groupSteps();
  const group = await shown('[data-group] .group-pct');
  assert.ok(Math.abs(group - meanOver(steps, 60)) <= 0.05, `page ${group}, history ${meanOver(steps, 60)}`);
  assert.ok(Math.abs(group - 10) <= 0.1, `the group reads ${group}`);
  for (const name of ['guest', 'stubdom']) {
    const pct = await shown(`#domains tr[data-domain="${ids[name]}"] .cpu-pct`);
    assert.ok(Math.abs(pct - 5) <= 0.3, `${name} reads ${pct}`);
  }
});

test('averaged over 1 min the group reads steadily where over 1 s and 10 s it jumps; each window is offered', async () => {
  const steps = await groupSteps();
  const lastHalfMinute = steps.slice(-30).map((_step, i) => steps.length - 30 + i);
  const spread = (average_s: number) => {
    const values = lastHalfMinute.map((upto) => meanOver(steps, average_s, upto));
    return Math.max(...values) - Math.min(...values);
  };
  // The cap runs the group one 30 ms period in twenty: a second holds one burst or two, 10 s hold 16 or 17.
  assert.ok(spread(1) >= 5, `per second: ${spread(1)}`);
  assert.ok(spread(10) >= 0.5, `over 10 s: ${spread(10)}`);
  assert.ok(spread(60) <= 0.15, `over 1 min: ${spread(60)}`);

  await page.selectOption('#average-window', '1');
  await page.locator('#sample-note', { hasText: 'last 1 s' }).waitFor();
  assert.ok(Math.abs(await shown('[data-group] .group-pct') - steps.at(-1)!.pct) <= 0.05);
  await page.selectOption('#average-window', '60');
  await page.locator('#sample-note', { hasText: 'last 60 s' }).waitFor();
  assert.ok(Math.abs(await shown('[data-group] .group-pct') - meanOver(steps, 60)) <= 0.05);
  await page.selectOption('#average-window', '10');
  await page.locator('#sample-note', { hasText: 'last 10 s' }).waitFor();
  assert.ok(Math.abs(await shown('[data-group] .group-pct') - meanOver(steps, 10)) <= 0.05);
  await assertAccessible(page, 'averaging window changed');
  await page.selectOption('#average-window', '60');
});

test('the y axis fits the 10 % (0–12), and "Whole host" shows 0–400', async () => {
  const yMax = async () => Number(await page.locator('#chart').getAttribute('data-y-max'));
  assert.equal(await yMax(), 12);
  await page.getByLabel('Whole host (0–400 %)').check();
  await page.locator('#chart[data-y-max="400"]').waitFor();
  await page.getByLabel('Whole host (0–400 %)').uncheck();
  await page.locator('#chart[data-y-max="12"]').waitFor();
});

test('at phone width: nothing scrolls sideways, and the page passes the audit', async () => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForFunction(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth <= 360);
  await page.screenshot({ path: new URL('first-sight-phone.png', ARTIFACTS_DIR).pathname, fullPage: true });
  await assertAccessible(page, 'at phone width');
  assert.deepEqual(problems, []);
});
