// The README's main command, end to end: scripts/local.mjs (what
// scripts/start.sh runs after building) starts the pages, the edge API in
// local workerd and the local mail world with the probe; the form demo in
// headless Chromium then gets a deep-check verdict from the real edge API,
// and SIGTERM stops everything.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { peersUnavailable, root } from './harness.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const SHOTS = path.join(root, 'tests/browser/screenshots');

function why() {
  const peers = peersUnavailable();
  if (peers) return peers;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing`;
  if (!existsSync(path.join(root, 'crates/wasm/dist/index.js'))) return 'the npm package is not built (crates/wasm/build.sh)';
  return false;
}
const skip = process.env.CI ? false : why();
if (skip) process.stderr.write(`\n== SKIPPED the local system test: ${skip} (under CI=true this fails)\n\n`);

function refused(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname);
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

describe('the local system (scripts/local.mjs)', { skip, timeout: 180_000 }, () => {
  let child = null;
  let exited = null;
  let out = '';
  const urls = {};

  before(async () => {
    child = spawn(process.execPath, [path.join(root, 'scripts/local.mjs')], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stderr.setEncoding('utf8').on('data', (d) => { out += d; });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not up within 90 s:\n${out}`)), 90_000);
      child.stdout.setEncoding('utf8').on('data', (d) => {
        out += d;
        if (out.includes('Ctrl-C stops everything.')) { clearTimeout(timer); resolve(); }
      });
      exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${out}`)); });
    });
    urls.pages = /^pages:\s+(\S+)$/m.exec(out)[1];
    urls.list = /^list:\s+(\S+)$/m.exec(out)[1];
    urls.api = /^edge API:\s+(\S+)/m.exec(out)[1];
    urls.probe = /^probe:\s+(\S+)/m.exec(out)[1];
    urls.sk = /^keys:\s+secret (\S+)$/m.exec(out)[1];
    urls.pk = /^\s+publishable (\S+)/m.exec(out)[1];
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  test('the edge API answers through DoH and the probe', async () => {
    const r = await fetch(`${urls.api}/v1/check?email=disabled@alpha.example`, {
      headers: { Authorization: `Bearer ${urls.sk}` },
    });
    assert.equal(r.status, 200);
    const v = await r.json();
    assert.deepEqual([v.status, v.reason, v.depth], ['invalid', 'mailbox_disabled', 'smtp'], JSON.stringify(v));
  });

  test('the form demo gets its deep check from the real edge API', async () => {
    await mkdir(SHOTS, { recursive: true });
    const profile = await mkdtemp(path.join(os.tmpdir(), 'prebounce-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 800, height: 900 }, timeout: 60_000,
    });
    try {
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(urls.pages);
      await page.waitForSelector('html[data-ready="true"]');
      await page.fill('#api-endpoint', urls.api);
      await page.fill('#api-key', urls.pk);
      await page.locator('#api-key').press('Tab');
      await page.waitForFunction(() => document.getElementById('api-status').textContent.startsWith('Deep check on'));
      await page.locator('#email').pressSequentially('disabled@alpha.example');
      await page.locator('#email').press('Tab');
      await page.waitForFunction(() => /mailbox_disabled/.test(document.getElementById('verdict').textContent));
      const line = await page.textContent('#verdict');
      assert.match(line, /invalid \(mailbox_disabled\), checked by the edge API \(smtp\)/);
      await page.screenshot({ path: path.join(SHOTS, 'local-system-deep-check.png') });
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  });

  test('the list checker is served, with its worker and Papa Parse', async () => {
    const page = await fetch(urls.list);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="list-app.js">/);
    const origin = new URL(urls.list).origin;
    for (const file of ['list-app.js', 'list-worker.js', 'list.css', 'vendor/papaparse.mjs']) {
      const r = await fetch(`${origin}/${file}`);
      assert.equal(r.status, 200, file);
      await r.arrayBuffer();
    }
  });

  test('SIGTERM stops every part', async () => {
    child.kill('SIGTERM');
    const { code } = await exited;
    assert.equal(code, 0, out);
    for (const url of [urls.pages, urls.api, urls.probe]) {
      assert.ok(await refused(url), `${url} still answers after stop`);
    }
  });
});
