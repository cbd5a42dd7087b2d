/**
 * Headless Chromium for the dashboard's tests: Debian's `chromium` package,
 * installed here when missing (CI runs as root on a fresh machine), driven by
 * playwright-core. Nothing reaches the network: background services are off.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDaemon } from '../helpers.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots and other things a person looks at after a run (gitignored). */
export const ARTIFACTS_DIR = new URL('../../test-artifacts/', import.meta.url);

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing and this is not root: install Debian's chromium package (apt-get install -y chromium) to run the dashboard tests`);
  }
  const apt = (...args: string[]): void => {
    execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  apt('update');
  apt('install', '-y', '--no-install-recommends', 'chromium');
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
}

/** A test daemon (frozen clock) listening on a free loopback port, and the address a browser opens it at. */
export async function servedDaemon(options: Parameters<typeof startDaemon>[0]): Promise<{ daemon: Awaited<ReturnType<typeof startDaemon>>; base: string }> {
  const daemon = await startDaemon(options);
  await daemon.app.listen({ port: 0, host: '127.0.0.1' });
  const address = daemon.app.server.address();
  if (address === null || typeof address !== 'object') throw new Error('the test daemon is not listening on a port');
  return { daemon, base: `http://127.0.0.1:${address.port}` };
}

/** Playwright starts the browser on a fresh temporary profile (user-data-dir) of its own and removes it on close. */
export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A desktop-sized page in a context of its own (the accessibility audit opens
 * pages in it), reporting console errors and warnings and uncaught errors into `problems`.
 */
export async function desktopPage(browser: Browser, problems: string[]): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return page;
}

/** The end of a file's tests: the browser, then the daemon and its directory. */
export async function closeAll(browser: Browser | undefined, daemon: { close(): Promise<void>; dir: { remove(): void } } | undefined): Promise<void> {
  await browser?.close();
  await daemon?.close();
  daemon?.dir.remove();
}
