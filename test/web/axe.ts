/** An accessibility audit of the page as it is now, with axe-core (the engine browsers' own audit tools use). */
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/** Fails on any violation, naming each rule and where it failed. */
export async function assertAccessible(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const found = violations.map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `axe-core, ${state}`);
}
