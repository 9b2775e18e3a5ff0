// Shared by the list checker's browser tests (list.test.mjs, list-more.test.mjs):
// Chromium with the page server, the page opened and ready, a run waited for,
// a download read back, the CLI's verdicts for a file.
//
//   const b = await startBrowser();        // in before()
//   const page = await b.open();           // list.html, ready
//   await b.closePages();                  // in afterEach()
//   await b.close();                       // in after()
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Papa from 'papaparse';
import { launchChromium } from './chromium.mjs';
import { startServer, PKG_DIR } from './server.mjs';
import { cli } from '../npm/helpers.mjs';

export { skip } from './chromium.mjs';

const run = promisify(execFile);
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');

/** The CLI's verdicts for a file (JSON Lines, one per record, in order). */
export async function cliVerdicts(file) {
  const { stdout } = await run(cli, ['check', '--offline', '--json', '--file', file], { maxBuffer: 1 << 30 });
  return stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** The package's codes (STATUSES, REASONS, FLAGS, ERROR_CODES), as the page reads them. */
export function loadCodes() {
  return import(pathToFileURL(path.join(PKG_DIR, 'codes.js')).href);
}

/** Chromium (a fresh profile) and the page server; what a test file needs before its tests. */
export async function startBrowser() {
  if (!existsSync(path.join(PKG_DIR, 'index.js'))) {
    throw new Error(`${PKG_DIR} has no built package: run crates/wasm/build.sh first`);
  }
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run cargo build -p prebounce-cli first`);
  await mkdir(SHOTS, { recursive: true });
  const server = await startServer();
  let browser;
  try {
    browser = await launchChromium({ width: 1200, height: 900 });
  } catch (e) {
    await server.close();
    throw e;
  }
  const { context } = browser;
  context.setDefaultTimeout(20_000);
  let pages = [];
  return {
    server,
    context,
    /** list.html in a new page, ready (module and disposable list loaded); `page.errors` collects script errors. */
    async open({ width = 1200, height = 900 } = {}) {
      const page = await context.newPage();
      page.errors = [];
      page.on('pageerror', (e) => page.errors.push(e));
      page.on('console', (m) => {
        if (m.type() === 'error') page.errors.push(new Error(`console: ${m.text()}`));
      });
      pages.push(page);
      // Main-thread tasks over 50 ms, for the figures reported.
      await page.addInitScript(() => {
        window.longTasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.longTasks.push([e.startTime, e.duration]);
        }).observe({ type: 'longtask', buffered: true });
      });
      await page.setViewportSize({ width, height });
      await page.goto(`${server.url}/list.html`);
      await page.waitForSelector('html[data-ready="true"]');
      return page;
    },
    async closePages() {
      const open = pages;
      pages = [];
      await Promise.all(open.map((p) => p.close().catch(() => {})));
    },
    async close() {
      // Both steps run even when the first throws.
      try {
        await browser.close();
      } finally {
        await server.close();
      }
    },
  };
}

export function shot(page, name) {
  return page.screenshot({ path: path.join(SHOTS, `list-${name}.png`), fullPage: true });
}

/** Waits for the run to end (done, error or cancelled). */
export function finished(page, timeout = 60_000) {
  return page.waitForFunction(
    () => ['done', 'error', 'cancelled'].includes(document.documentElement.dataset.state), null, { timeout },
  );
}

/** What the page holds after a run: per-row codes, counts, timings. */
export function pageState(page) {
  return page.evaluate(() => {
    const a = window.listApp;
    const n = a.rows;
    return {
      state: a.state,
      rows: n,
      status: Array.from(a.status.subarray(0, n)),
      reason: Array.from(a.reason.subarray(0, n)),
      flags: Array.from(a.flags.subarray(0, n)),
      errors: Array.from(a.errors.subarray(0, n)),
      byStatus: a.byStatus,
      byReason: a.byReason,
      done: a.done,
      error: a.error,
      disposable: a.disposable,
      ms: a.timing.done - a.timing.picked,
      longestTask: Math.max(0, ...window.longTasks.filter(([start]) => start >= a.timing.picked).map(([, d]) => d)),
      domRows: document.querySelectorAll('#rows .tr').length,
    };
  });
}

/** The records of CSV text (blank ones left out). */
export function records(text) {
  return Papa.parse(text.replace(/^\uFEFF/, ''), { delimiter: ',' }).data.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** A cell as the exports write it with the spreadsheet-formula guard on (OWASP's CSV injection list). */
export const guarded = (cell) => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);

/** Clicks an export button; the downloaded file's name and text. */
export async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const saved = await file.path();
  return { name: file.suggestedFilename(), text: await readFile(saved, 'utf8') };
}
