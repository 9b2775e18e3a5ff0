// Headless Debian Chromium for the browser tests and bench/list, through
// playwright-core (its own browser downloads do not work here): the flags,
// a fresh profile folder, and the skip reason when Chromium is missing.
//
//   const { context, close } = await launchChromium({ width: 1200, height: 900 });
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The describe() skip reason: Chromium missing outside CI (in CI the tests fail instead). */
export const skip = !existsSync(CHROMIUM) && !process.env.CI
  ? `${CHROMIUM} is missing; install it with scripts/install-chromium.sh (in CI this test fails instead)`
  : false;

/** Chromium with a fresh profile; `close()` ends it and removes the profile. */
export async function launchChromium({ width, height }) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/install-chromium.sh (CI is set, so this is a failure, not a skip)`);
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), 'prebounce-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width, height }, timeout: 60_000,
    });
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    async close() {
      try {
        await context.close();
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    },
  };
}
