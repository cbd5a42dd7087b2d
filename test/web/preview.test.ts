/**
 * The dashboard's "Preview a change" form: a what-if through the API, its
 * answer shown as a table, the daemon's host left as it was; a refused
 * change shows the daemon's message next to the form.
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
  ({ daemon, base } = await servedDaemon({ pcpus: 2 }));
  for (const body of [{ name: 'web', vcpus: 2, start: true }, { name: 'db', start: true }]) {
    assert.equal((await daemon.request('POST', '/api/v1/domains', body)).status, 201);
  }
  await daemon.request('POST', '/api/v1/host/clock/advance', { ms: 500 });
  browser = await launchBrowser();
  page = await desktopPage(browser, problems);
  await page.goto(`${base}/`);
});

after(() => closeAll(browser, daemon));

test('previewing cap 20 on web shows its share with and without the change, and changes nothing', async () => {
  const before = (await daemon.request('GET', '/api/v1/host')).body;
  await page.locator('#preview-domain option[value="web"]').waitFor({ state: 'attached' });
  await page.selectOption('#preview-domain', 'web');
  await page.selectOption('#preview-field', 'cap');
  await page.fill('#preview-value', '20');
  await page.fill('#preview-seconds', '5');
  await page.click('#preview-form button[type="submit"]');
  const web = page.locator('#preview-table tbody tr', { has: page.locator('th:text-is("web")') });
  await web.waitFor();
  const [withChange, without, expected] = (await web.locator('td').allInnerTexts()).map(Number);
  assert.ok(Math.abs(withChange! - 20) < 1, `with the change ${withChange}`);
  assert.ok(Math.abs(without! - 100) < 2, `without ${without}`);
  assert.equal(expected, 20);
  assert.match(await page.locator('#preview-table caption').innerText(), /cap 20 on web: CPU % over the next 5 simulated s/);
  const after = (await daemon.request('GET', '/api/v1/host')).body;
  assert.equal(after.trace_hash, before.trace_hash);
  assert.equal((await daemon.request('GET', '/api/v1/domains/web/sched')).body.cap, 0);
  assert.deepEqual(problems, []);
  await assertAccessible(page, 'with a preview');
  await page.locator('#preview').screenshot({ path: new URL('preview.png', ARTIFACTS_DIR).pathname });
});

test('a change the daemon refuses shows its message next to the form', async () => {
  await page.locator('#preview-domain option[value="web"]').waitFor({ state: 'attached' });
  await page.selectOption('#preview-domain', 'web');
  await page.selectOption('#preview-field', 'weight');
  await page.fill('#preview-seconds', '5');
  await page.fill('#preview-value', '0');
  await page.click('#preview-form button[type="submit"]');
  await page.locator('#preview-error:not(:empty)').waitFor();
  assert.match(await page.locator('#preview-error').innerText(), /^Changes\[0\] \(PUT \/domains\/web\/sched\): .*weight/);
  await assertAccessible(page, 'with a refused preview');
});
