// The list checker's optional deep check (www/list.html) in headless
// Chromium against the REAL edge API (worker/build in Miniflare, with DNS,
// DoH, Postfix and the probe from ./harness.mjs): verdicts at depth smtp/dns
// merged into the table and counts; a small rate limit (429, Retry-After)
// waited out; cancel. A screenshot: tests/browser/screenshots/list-deep-check.png.
//
// Needs root, the Debian peers, Chromium and the built npm package; skipped
// outside CI without them, a failure under CI=true.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { peersUnavailable, root, startWorld } from './harness.mjs';
import { startServer, PKG_DIR } from '../browser/server.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function why() {
  const peers = peersUnavailable();
  if (peers) return peers;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing`;
  if (!existsSync(path.join(PKG_DIR, 'index.js'))) return 'the npm package is not built (crates/wasm/build.sh)';
  return false;
}
const skip = process.env.CI ? false : why();
if (skip) process.stderr.write(`\n== SKIPPED the list deep-check test: ${skip} (under CI=true this fails)\n\n`);

const SHOTS = path.join(root, 'tests/browser/screenshots');
const FAST = 'pk_list_fast';
const SLOW = 'pk_list_slow';

describe('list checker: deep check against the real edge API', { skip, timeout: 300_000 }, () => {
  let server = null;
  let world = null;
  let context = null;
  let profile = null;
  let codes = null;
  let pages = [];

  before(async () => {
    codes = await import(pathToFileURL(path.join(PKG_DIR, 'codes.js')).href);
    server = await startServer();
    const origin = new URL(server.url).origin;
    world = await startWorld({
      bindings: {
        API_KEYS: JSON.stringify({
          [FAST]: { origins: [origin], rate_per_minute: 1000 },
          [SLOW]: { origins: [origin], rate_per_minute: 2 },
        }),
      },
    });
    profile = await mkdtemp(path.join(os.tmpdir(), 'prebounce-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1200, height: 900 }, timeout: 60_000,
    });
    context.setDefaultTimeout(20_000);
  });

  after(async () => {
    try { if (context) await context.close(); } finally {
      try { if (world) await world.stop(); } finally {
        try { if (server) await server.close(); } finally {
          if (profile) await rm(profile, { recursive: true, force: true });
        }
      }
    }
  });

  afterEach(async () => {
    const open = pages;
    pages = [];
    await Promise.all(open.map((p) => p.close().catch(() => {})));
  });

  /** The page with `lines` checked locally, the deep-check form filled in. */
  async function listOf(lines, key) {
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e));
    pages.push(page);
    await page.goto(`${server.url}/list.html`);
    await page.waitForSelector('html[data-ready="true"]');
    await page.setInputFiles('#file', { name: 'deep.csv', mimeType: 'text/csv', buffer: Buffer.from(`name,email\n${lines.map((l, k) => `n${k},${l}`).join('\n')}\n`) });
    await page.waitForFunction(() => window.listApp.state === 'done');
    await page.fill('#deep-endpoint', String(world.worker.url));
    await page.fill('#deep-key', key);
    await page.click('#deep .deep-options summary');
    await page.fill('#deep-options', '{"allow_special_use": true}');
    return page;
  }

  function deepState(page) {
    return page.evaluate(() => {
      const a = window.listApp;
      return {
        deep: a.deep && { ...a.deep, depths: Object.fromEntries(a.deep.depths) },
        status: Array.from(a.status.subarray(0, a.rows)),
        reason: Array.from(a.reason.subarray(0, a.rows)),
        byStatus: a.byStatus,
        byReason: a.byReason,
      };
    });
  }

  test('valid rows go to the API; its verdicts (depth smtp/dns) replace them in the table and the counts', async () => {
    const page = await listOf(['disabled@alpha.example', 'nobody@alpha.example', 'ok@alpha.example', 'x@nullmx.example', 'bad@'], FAST);
    assert.match(await page.textContent('#deep .warning'), /only, addresses leave your browser/);
    await page.click('#deep-start');
    await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(window.listApp.deep?.state), null, { timeout: 60_000 });
    const s = await deepState(page);
    assert.equal(s.deep.state, 'done', s.deep.error ?? '');
    assert.equal(s.deep.total, 4, 'the invalid row stays in the browser');
    assert.deepEqual(s.reason.map((r) => codes.REASONS[r]), ['mailbox_disabled', 'does_not_exist', 'ok', 'null_mx', 'invalid_syntax']);
    assert.deepEqual(s.status.map((r) => codes.STATUSES[r]), ['invalid', 'invalid', 'valid', 'invalid', 'invalid']);
    assert.deepEqual(s.deep.depths, { 0: 'smtp', 1: 'smtp', 2: 'smtp', 3: 'dns' });
    assert.equal(s.byStatus[codes.STATUSES.indexOf('invalid')], 4, 'counts follow');
    assert.equal(s.byReason[codes.REASONS.indexOf('null_mx')], 1);
    assert.match(await page.textContent('#deep-status'), /^Deep check done: 4 of 4 rows checked by the API \(3 at depth smtp, 1 at depth dns\)\.$/);
    // The table shows the new reason.
    await page.waitForFunction(() => document.querySelector('#rows .tr .td.reason')?.textContent === 'Mailbox disabled');
    assert.equal(await page.isVisible('#deep-cancel'), false, 'no cancel button once done');
    assert.equal(await page.isVisible('#deep-bar'), false, 'no progress bar once done');
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'list-deep-check.png'), fullPage: true });
    assert.deepEqual(page.errors, []);
  });

  test('a rate limit (429 with Retry-After) is waited out and the deep check completes', async (t) => {
    const lines = Array.from({ length: 25 }, (_, k) => `user${k}@alpha.example`);
    const page = await listOf(lines, SLOW);
    const started = Date.now();
    await page.click('#deep-start');
    await page.waitForFunction(() => /asked to wait \d+ s/.test(document.querySelector('#deep-status').textContent));
    // The other batches finish while one waits: the page still says it waits
    // (it used to say only "20 of 25 rows deep-checked…" for a minute).
    await page.waitForFunction(() => window.listApp.deep?.done >= 20, null, { timeout: 60_000 });
    assert.match(await page.textContent('#deep-status'), /^20 of 25 rows deep-checked · the API asked to wait \d+ s/);
    await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(window.listApp.deep?.state), null, { timeout: 150_000 });
    const s = await deepState(page);
    t.diagnostic(`25 rows with 2 requests a minute: ${Math.round((Date.now() - started) / 1000)} s, ${s.deep.waits} waits`);
    assert.equal(s.deep.state, 'done', s.deep.error ?? '');
    assert.equal(s.deep.done, 25);
    assert.ok(s.deep.waits >= 1);
    assert.ok(s.reason.every((r) => codes.REASONS[r] === 'does_not_exist'));
    assert.deepEqual(page.errors, []);
  });

  test('cancel stops the deep check; the rows checked so far keep the API\'s verdicts', async () => {
    const lines = Array.from({ length: 40 }, (_, k) => `other${k}@alpha.example`);
    const page = await listOf(lines, SLOW);
    await page.click('#deep-start');
    await page.waitForFunction(() => /asked to wait \d+ s/.test(document.querySelector('#deep-status').textContent), null, { timeout: 60_000 });
    await page.click('#deep-cancel');
    await page.waitForFunction(() => window.listApp.deep?.state === 'cancelled', null, { timeout: 10_000 });
    const s = await deepState(page);
    assert.ok(s.deep.done < 40, `stopped early (${s.deep.done})`);
    assert.equal(s.reason.filter((r) => codes.REASONS[r] === 'does_not_exist').length, s.deep.done);
    assert.match(await page.textContent('#deep-status'), /^Deep check cancelled: \d+ of 40 rows/);
    assert.equal(await page.isEnabled('#deep-start'), true);
    assert.deepEqual(page.errors, []);
  });
});
