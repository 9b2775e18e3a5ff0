// Browser test of the list checker (www/list.html, list-app.js, list-worker.js)
// in headless Debian Chromium driven by playwright-core: a generated
// 100,000-row CSV loaded by the file picker and by drag and drop, its
// verdicts compared row by row with the CLI's on the same file; cancel;
// filters, search and the virtualized table; the exports downloaded and
// compared with the CLI's verdicts; errors people can act on.
//
//   bash scripts/install-chromium.sh && bash crates/wasm/build.sh && cargo build -p prebounce-cli
//   node --test tests/browser/
//
// Skipped when /usr/bin/chromium is missing, unless CI is set (then it fails).
// Screenshots of the main states go to tests/browser/screenshots/list-*.png.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeList } from './list-data.mjs';
import {
  skip, startBrowser, cliVerdicts, loadCodes, shot, finished, records, download, pageState, guarded,
} from './list-page.mjs';

const ROWS = 100_000;

describe('list checker in headless Chromium', { skip, timeout: 240_000 }, () => {
  let browser = null;
  let dir = null;
  let codes = null;
  const list = {}; // the 100k file: path, bytes, expected rows

  before(async () => {
    codes = await loadCodes();
    dir = await mkdtemp(path.join(os.tmpdir(), 'prebounce-list-'));
    const made = makeList({ rows: ROWS });
    Object.assign(list, made, { file: path.join(dir, 'contacts.csv') });
    await writeFile(list.file, made.bytes);
    const [verdicts, b] = await Promise.all([cliVerdicts(list.file), startBrowser()]);
    browser = b;
    list.cli = verdicts;
    // The page reports rows without an address instead of checking them; the
    // CLI gives them invalid_syntax / empty. Everything else must be equal.
    list.checked = verdicts.filter((v) => v.error?.code !== 'empty');
    list.empty = verdicts.length - list.checked.length;
  });

  after(async () => {
    try {
      if (browser) await browser.close();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  afterEach(() => browser.closePages());

  const openList = (size) => browser.open(size);

  function flagBits(flags) {
    return Object.entries(codes.FLAGS).reduce((bits, [name, bit]) => (flags[name] ? bits | bit : bits), 0);
  }

  /** The page's verdicts equal the CLI's, row by row; the unchecked rows are the empty ones. */
  function assertSameAsCli(s) {
    const want = list.checked;
    assert.equal(s.state, 'done');
    assert.equal(s.rows, want.length, 'every row with an address was checked');
    const mismatches = [];
    for (let i = 0; i < want.length && mismatches.length < 5; i++) {
      const v = want[i];
      const got = {
        status: codes.STATUSES[s.status[i]], reason: codes.REASONS[s.reason[i]], flags: s.flags[i],
        error: s.errors[i] === 255 ? null : codes.ERROR_CODES[s.errors[i]],
      };
      const exp = { status: v.status, reason: v.reason, flags: flagBits(v.flags), error: v.error?.code ?? null };
      if (JSON.stringify(got) !== JSON.stringify(exp)) mismatches.push({ row: i, input: v.input, got, exp });
    }
    assert.deepEqual(mismatches, [], 'page verdicts differ from the CLI\'s');
    const byStatus = Object.fromEntries(codes.STATUSES.map((name, k) => [name, s.byStatus[k]]));
    const cliByStatus = Object.fromEntries(codes.STATUSES.map((name) => [name, want.filter((v) => v.status === name).length]));
    assert.deepEqual(byStatus, cliByStatus, 'counts by status');
    const byReason = Object.fromEntries(codes.REASONS.map((name, k) => [name, s.byReason[k]]));
    const cliByReason = Object.fromEntries(codes.REASONS.map((name) => [name, want.filter((v) => v.reason === name).length]));
    assert.deepEqual(byReason, cliByReason, 'counts by reason');
    // Rows without an address: reported with their lines, and what the CLI called empty.
    assert.equal(s.done.noAddressCount, list.empty);
    assert.deepEqual(s.done.noAddress, list.noAddressLines);
    // Lines that are not UTF-8: reported, and invalid_encoding as in the CLI.
    assert.deepEqual(s.done.badLines, list.badLines);
    // Every chunk's typed arrays were transferred, not copied.
    assert.ok(s.done.chunks > 1, `checked in chunks (${s.done.chunks})`);
    assert.equal(s.done.transferred, s.done.chunks, 'each chunk\'s arrays were detached in the worker');
    assert.equal(s.disposable.fullLoaded, true, 'the full disposable list was loaded before checking');
    assert.ok(s.domRows > 0 && s.domRows < 60, `only the visible rows are in the DOM (${s.domRows})`);
  }

  test('the test list exercises the full disposable list, typos, roles, IDN, bad bytes and empty cells', () => {
    const reasons = new Set(list.cli.map((v) => v.reason));
    for (const r of ['ok', 'invalid_syntax', 'disposable', 'possible_typo']) assert.ok(reasons.has(r), r);
    assert.ok(list.cli.some((v) => v.reason === 'disposable' && list.fullOnly.includes(v.domain)),
      'some disposable domains are known only from the full data file');
    assert.ok(list.cli.some((v) => v.flags.role), 'role accounts');
    assert.ok(list.cli.some((v) => v.flags.smtputf8 || (v.domain ?? '').startsWith('xn--')), 'internationalized addresses');
    assert.equal(list.cli.filter((v) => v.error?.code === 'invalid_encoding').length, list.badLines.length);
    assert.equal(list.empty, list.noAddressLines.length);
    assert.equal(list.cli.length, ROWS);
  });

  test('the page loads the module and the full disposable list; the empty state says what to do', async () => {
    const page = await openList();
    assert.match(await page.textContent('#loading'), /^Ready: [\d,]+ disposable domains known\./);
    assert.equal(await page.isHidden('#results'), true);
    assert.equal(await page.isHidden('#progress'), true);
    // Every control has a label.
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => !(el.labels?.length > 0 || el.getAttribute('aria-label') || el.textContent.trim()))
      .map((el) => el.id || el.outerHTML.slice(0, 60)));
    assert.deepEqual(unlabelled, []);
    // Keyboard: the file input is in the tab order, and its visible button shows the focus.
    let focused = null;
    for (let k = 0; k < 6 && focused !== 'file'; k++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.id);
    }
    assert.equal(focused, 'file', 'Tab reaches the file input');
    const outline = await page.$eval('label[for="file"]', (el) => getComputedStyle(el).outlineStyle);
    assert.notEqual(outline, 'none', 'the "Choose a file" button shows the focus');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'SUMMARY', 'then the paste box');
    await shot(page, 'empty');
    assert.deepEqual(page.errors, []);
  });

  test(`a ${ROWS.toLocaleString('en')}-row CSV chosen with the file picker: verdicts equal the CLI's`, async (t) => {
    const page = await openList();
    await page.setInputFiles('#file', list.file);
    await finished(page);
    const s = await pageState(page);
    t.diagnostic(`file picker: ${ROWS} rows, chosen → results in ${Math.round(s.ms)} ms, longest main-thread task ${Math.round(s.longestTask)} ms (worker: ${Math.round(s.done.ms)} ms; ${JSON.stringify(s.done.times)})`);
    assertSameAsCli(s);
    assert.match(await page.textContent('#summary'), new RegExp(`^${list.checked.length.toLocaleString('en')} addresses checked in contacts\\.csv\\.`));
    const problems = await page.textContent('#problems');
    assert.match(problems, new RegExp(`${list.empty} rows without an address, not checked: lines ${list.noAddressLines.slice(0, 3).join(', ')}`));
    assert.match(problems, new RegExp(`lines ${list.badLines.join(', ')}\\.`));
    assert.equal(await page.inputValue('#column'), '3', 'the "email" column was detected');
    assert.match(await page.textContent('#column option:checked'), /email \(detected\)/);
    await shot(page, 'results');

    // The table: the first row is line 2 with its other columns kept.
    await page.waitForFunction(() => document.querySelector('#rows .tr .td.email')?.textContent.includes('@'));
    const first = await page.$$eval('#rows .tr:first-child .td', (cells) => cells.map((c) => c.textContent));
    const v0 = list.checked[0];
    assert.equal(first[0], '2');
    assert.equal(first[1], v0.input);
    assert.equal(first.length, 6 + 5, 'line, address, status, reason, depth, suggestion and the 5 other columns');
    assert.equal(first[4], 'Syntax', 'checked in the browser');
    assert.equal(first[6], '1', 'the id column');

    // Filter by status: only invalid rows, counted as the CLI does.
    await page.selectOption('#f-status', 'invalid');
    const invalid = list.checked.filter((v) => v.status === 'invalid').length;
    assert.equal(await page.textContent('#shown'), `Showing ${invalid.toLocaleString('en')} of ${list.checked.length.toLocaleString('en')} rows.`);
    await page.waitForFunction(() => [...document.querySelectorAll('#rows .tr .td.email')].every((c) => c.textContent !== '…'));
    const statuses = await page.$$eval('#rows .tr', (rows) => rows.map((r) => r.dataset.status));
    assert.ok(statuses.length > 5 && statuses.every((x) => x === 'invalid'), 'only invalid rows shown');

    // By reason: typos, each with its "did you mean" suggestion from the core.
    await page.selectOption('#f-status', '');
    await page.selectOption('#f-reason', 'possible_typo');
    await page.waitForFunction(() => [...document.querySelectorAll('#rows .tr .td.email')].every((c) => c.textContent !== '…'));
    const typos = await page.$$eval('#rows .tr', (rows) => rows.slice(0, 8).map((r) => [r.querySelector('.email').textContent, r.querySelector('.suggestion').textContent]));
    const suggestionOf = new Map(list.checked.map((v) => [v.input, v.suggestion]));
    assert.ok(typos.length === 8);
    for (const [input, suggestion] of typos) {
      assert.ok(suggestion !== '', `${input} has a suggestion`);
      assert.equal(suggestion, suggestionOf.get(input));
    }
    await shot(page, 'typos');

    // Search (in the worker) combined with a flag filter.
    await page.selectOption('#f-reason', '');
    await page.selectOption('#f-flag', 'disposable');
    await page.fill('#f-search', 'MAILINATOR');
    const want = list.checked.filter((v) => v.flags.disposable && v.input.toLowerCase().includes('mailinator')).length;
    await page.waitForFunction((n) => window.listApp.view?.length === n && window.listApp.search.query === 'MAILINATOR', want);
    assert.ok(want > 100);

    // A bar of the chart is a button that filters.
    await page.fill('#f-search', '');
    await page.selectOption('#f-flag', '');
    await page.waitForFunction(() => window.listApp.search.matches === null);
    await page.click('#status-bars li[data-key="risky"] button');
    assert.equal(await page.inputValue('#f-status'), 'risky');
    assert.equal(await page.evaluate(() => window.listApp.view.length), list.checked.filter((v) => v.status === 'risky').length);

    // The keyboard scrolls the table to its end: the last row is the file's last record.
    await page.selectOption('#f-status', '');
    await page.focus('#viewport');
    await page.keyboard.press('End');
    await page.waitForFunction((line) => [...document.querySelectorAll('#rows .tr .td.line')].some((c) => c.textContent === String(line)), list.lastAddressLine);
    assert.ok((await pageState(page)).domRows < 60, 'still only the visible rows in the DOM');
    assert.deepEqual(page.errors, []);
  });

  test('the same CSV dropped on the page (drag and drop): the same verdicts', async (t) => {
    const page = await openList();
    await page.evaluate(async ({ base64 }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const file = new File([bytes], 'contacts.csv', { type: 'text/csv' });
      const data = new DataTransfer();
      data.items.add(file);
      const zone = document.getElementById('drop');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
      }
    }, { base64: list.bytes.toString('base64') });
    await finished(page);
    const s = await pageState(page);
    t.diagnostic(`drag and drop: ${ROWS} rows, dropped → results in ${Math.round(s.ms)} ms, longest main-thread task ${Math.round(s.longestTask)} ms`);
    assertSameAsCli(s);
    assert.deepEqual(page.errors, []);
  });

  test('"apply all suggestions" corrects every typo; the new verdicts equal the CLI\'s for the corrected list', async () => {
    const page = await openList();
    await page.setInputFiles('#file', list.file);
    await finished(page);
    await page.click('#apply-all');
    await page.waitForFunction(() => window.listApp.applied > 0);
    const s = await pageState(page);
    const withSuggestion = list.checked.filter((v) => v.suggestion);
    assert.equal(await page.evaluate(() => window.listApp.applied), withSuggestion.length);
    assert.equal(s.byReason[codes.REASONS.indexOf('possible_typo')], 0, 'no typo left');
    // The CLI on the corrected addresses (rows not readable as UTF-8 left out: as text they would read fine).
    const keep = list.checked.map((v, i) => i).filter((i) => list.checked[i].error?.code !== 'invalid_encoding');
    const corrected = path.join(dir, 'corrected.txt');
    await writeFile(corrected, keep.map((i) => list.checked[i].suggestion ?? list.checked[i].input).join('\n') + '\n');
    const want = await cliVerdicts(corrected);
    assert.equal(want.length, keep.length);
    const bad = [];
    keep.forEach((i, k) => {
      if (codes.STATUSES[s.status[i]] !== want[k].status || codes.REASONS[s.reason[i]] !== want[k].reason) bad.push({ i, input: want[k].input });
    });
    assert.deepEqual(bad.slice(0, 5), []);
    assert.match(await page.textContent('#applied'), new RegExp(`^${withSuggestion.length.toLocaleString('en')} suggestions applied\\.$`));
    assert.equal(await page.isDisabled('#apply-all'), true);
    await page.fill('#f-search', 'gmial');
    await page.waitForFunction(() => window.listApp.search.query === 'gmial' && window.listApp.view.length === 0);
    assert.deepEqual(page.errors, []);
  });

  test('each export, downloaded, holds the rows and columns the CLI\'s verdicts say', async () => {
    const page = await openList();
    await page.setInputFiles('#file', list.file);
    await finished(page);
    const original = records(new TextDecoder('utf-8').decode(list.bytes));
    const [header, ...rows] = original;
    assert.equal(rows.length, list.cli.length, 'one CLI verdict per record');
    // The formula guard is on by default: every cell that begins with = + - @, tab or CR gets a leading '.
    const pick = (statuses) => [header, ...rows.filter((r, k) => statuses.includes(list.cli[k].status) && list.cli[k].error?.code !== 'empty')]
      .map((r) => r.map(guarded));

    const clean = await download(page, '#export-clean');
    assert.equal(clean.name, 'contacts-clean.csv');
    assert.deepEqual(records(clean.text), pick(['valid']), 'clean list: the valid rows, all columns');
    assert.match(await page.textContent('#export-status'), /^contacts-clean\.csv: [\d,]+ rows, downloaded\.$/);

    await page.check('input[name="clean-kind"][value="clean-risky"]');
    const risky = await download(page, '#export-clean');
    assert.equal(risky.name, 'contacts-clean-with-risky.csv');
    assert.deepEqual(records(risky.text), pick(['valid', 'risky']), 'clean list with the risky rows');

    const suppression = await download(page, '#export-suppression');
    assert.equal(suppression.name, 'contacts-suppression.csv');
    assert.deepEqual(records(suppression.text), pick(['invalid']), 'suppression list: the invalid rows with an address');
    assert.ok(records(suppression.text).some((r) => r[3] === "'@example.com"), 'the guard was applied to addresses too');

    const annotated = await download(page, '#export-annotated');
    assert.equal(annotated.name, 'contacts-annotated.csv');
    const got = records(annotated.text);
    assert.deepEqual(got[0], [...header, 'status', 'reason', 'suggestion', 'message', 'depth']);
    assert.equal(got.length - 1, rows.length, 'every record, those without an address too');
    const bad = [];
    rows.forEach((r, k) => {
      const v = list.cli[k];
      const want = [...header.map((_, c) => r[c] ?? ''), ...r.slice(header.length), v.status, v.reason, v.suggestion ?? '', v.message ?? '', v.depth].map(guarded);
      if (JSON.stringify(got[k + 1]) !== JSON.stringify(want)) bad.push({ line: k, got: got[k + 1], want });
    });
    assert.deepEqual(bad.slice(0, 3), [], `${bad.length} annotated rows differ from the CLI's verdicts`);
    await shot(page, 'exports');

    // A .txt list: the clean list is one address a line.
    await page.setInputFiles('#file', { name: 'few.txt', mimeType: 'text/plain', buffer: Buffer.from('ana@example.com\nbob@gmial.com\nx@mailinator.com\nnope\n') });
    await page.waitForFunction(() => window.listApp.state === 'done' && window.listApp.name === 'few.txt');
    await page.check('input[name="clean-kind"][value="clean"]');
    const few = await download(page, '#export-clean');
    assert.equal(few.name, 'few-clean.txt');
    assert.equal(few.text, 'ana@example.com\n');
    const fewAnnotated = records((await download(page, '#export-annotated')).text);
    assert.deepEqual(fewAnnotated.map((r) => r.slice(0, 3)), [
      ['email', 'status', 'reason'], ['ana@example.com', 'valid', 'ok'], ['bob@gmial.com', 'risky', 'possible_typo'],
      ['x@mailinator.com', 'risky', 'disposable'], ['nope', 'invalid', 'invalid_syntax'],
    ]);
    assert.deepEqual(page.errors, []);
  });

  test('cancel mid-run keeps the rows checked so far; a new list then runs', async () => {
    const page = await openList();
    const big = path.join(dir, 'big.csv');
    await writeFile(big, makeList({ rows: 300_000, seed: 7 }).bytes);
    await page.setInputFiles('#file', big);
    // The progress text is read and Cancel pressed in the same frame, as soon
    // as rows are in: on a busy machine a round trip per step could let the
    // 300,000 rows finish first.
    const text = await page.evaluate(() => new Promise((resolve) => {
      const poll = () => {
        const t = document.getElementById('progress-text').textContent;
        if (window.listApp.state !== 'checking' || !/rows checked/.test(t)) { requestAnimationFrame(poll); return; }
        document.getElementById('cancel').click();
        resolve(t);
      };
      poll();
    }));
    assert.match(text, /^[\d,]+ rows checked \(\d+ %\) · [\d,]+ rows\/s · (about .+ left|estimating time left)$/);
    await shot(page, 'progress');
    await finished(page);
    const s = await pageState(page);
    assert.equal(s.state, 'cancelled');
    assert.ok(s.rows > 0 && s.rows < 299_000, `stopped early (${s.rows} rows)`);
    assert.equal(s.byStatus.reduce((a, b) => a + b, 0), s.rows, 'counts cover the rows checked');
    assert.match(await page.textContent('#progress-text'), /^Cancelled: [\d,]+ rows were checked/);
    assert.equal(await page.isVisible('#results'), true, 'partial results are shown');
    await shot(page, 'cancelled');
    // The next list replaces it.
    await page.setInputFiles('#file', { name: 'small.txt', mimeType: 'text/plain', buffer: Buffer.from('ana@example.com\nbob@gmial.com\n\nnot-an-address\n') });
    await page.waitForFunction(() => window.listApp.state === 'done');
    const small = await pageState(page);
    assert.equal(small.rows, 3);
    assert.deepEqual(page.errors, []);
  });

  test('a .txt list, one address a line, equals the CLI; pasted text works too', async () => {
    const page = await openList();
    const lines = ['ana@example.com', 'bob@gmial.com', '', '  ', 'x@mailinator.com', 'John Doe <j@example.com>', 'info@example.com', 'zoë@bücher.de', 'a@b'];
    const txt = path.join(dir, 'plain.txt');
    await writeFile(txt, `${lines.join('\r\n')}\r\n`);
    await page.setInputFiles('#file', txt);
    await finished(page);
    const s = await pageState(page);
    const want = await cliVerdicts(txt);
    assert.equal(s.rows, want.length);
    assert.deepEqual(s.status.map((c) => codes.STATUSES[c]), want.map((v) => v.status));
    assert.deepEqual(s.reason.map((c) => codes.REASONS[c]), want.map((v) => v.reason));
    assert.equal(await page.isHidden('#column-field'), true, 'no column to choose');
    assert.equal(await page.textContent('#source'), 'plain.txt: 9 lines, one address a line; read as UTF-8.');

    // Paste: a small list with a typo; the suggestion shows in the table.
    await page.click('#paste-box summary');
    await page.fill('#paste', 'jane@hotmial.com\nok@example.com\n');
    await page.click('#paste-check');
    await page.waitForFunction(() => window.listApp.state === 'done' && window.listApp.name === 'pasted text');
    await page.waitForFunction(() => document.querySelector('#rows .tr .td.suggestion')?.textContent === 'jane@hotmail.com');
    assert.equal((await pageState(page)).rows, 2);
    await shot(page, 'pasted');
    // Applying the suggestion (a button, by keyboard): the row is checked again.
    assert.equal(await page.isVisible('#apply-all'), true);
    const apply = page.locator('#rows .tr .td.suggestion button.apply');
    assert.equal(await apply.getAttribute('aria-label'), 'Use jane@hotmail.com instead of jane@hotmial.com');
    await apply.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#rows .tr .td.suggestion .was')?.textContent === 'was jane@hotmial.com');
    const applied = await pageState(page);
    assert.deepEqual(applied.status.map((c) => codes.STATUSES[c]), ['valid', 'valid']);
    assert.deepEqual(applied.byStatus, [2, 0, 0, 0]);
    assert.equal(await page.textContent('#rows .tr .td.email'), 'jane@hotmail.com');
    assert.equal(await page.textContent('#applied'), '1 suggestion applied.');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'viewport', 'focus stays in the table');
    assert.deepEqual(page.errors, []);
  });

  test('choosing another column checks the list again with it', async () => {
    const page = await openList();
    const csv = 'name;work;home\nAna;ana@example.com;ana@gmial.com\nBob;bob@example.org;\n';
    await page.setInputFiles('#file', { name: 'two.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await finished(page);
    let s = await pageState(page);
    assert.equal(s.rows, 2, 'the column with the most @ (work) first');
    assert.equal(await page.inputValue('#column'), '1');
    await page.selectOption('#column', '2');
    await page.waitForFunction(() => window.listApp.state === 'done' && window.listApp.head?.column === 2);
    s = await pageState(page);
    assert.equal(s.rows, 1);
    assert.equal(codes.REASONS[s.reason[0]], 'possible_typo');
    assert.match(await page.textContent('#problems'), /1 row without an address, not checked: line 3\./);
  });

  test('errors people can act on: wrong file type, binary data (a NUL, a known format, mostly control bytes), no email column, no rows', async () => {
    const page = await openList();
    const cases = [
      [{ name: 'list.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: Buffer.from('PK\x03\x04rest') }, /list\.xlsx is a spreadsheet\. Save it as CSV/],
      [{ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }, /photo\.png is not a list this page reads: choose a \.csv, \.tsv or \.txt file\./],
      [{ name: 'renamed.csv', mimeType: 'text/csv', buffer: Buffer.from('PK\x03\x04\x14\x00\x06\x00') }, /renamed\.csv is not text: it looks like a ZIP archive/],
      [{ name: 'data.csv', mimeType: 'text/csv', buffer: Buffer.from('email\n\x00\x01\x02ab@c.com\n') }, /data\.csv is not a text file \(it contains binary data\)/],
      [{ name: 'noise.csv', mimeType: 'text/csv', buffer: Buffer.from(Array.from({ length: 4096 }, (_, k) => 1 + ((k * 167 + 13) % 255))) }, /noise\.csv does not look like text \(too many control characters\)/],
      [{ name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) }, /empty\.csv is empty: there are no rows to check\./],
      [{ name: 'header.csv', mimeType: 'text/csv', buffer: Buffer.from('id,email,name\n') }, /header\.csv has a header but no rows to check\./],
      [{ name: 'blank.txt', mimeType: 'text/plain', buffer: Buffer.from('\n  \n\n') }, /blank\.txt has no rows to check\./],
    ];
    for (const [file, message] of cases) {
      await page.setInputFiles('#file', file);
      await page.waitForFunction(() => document.documentElement.dataset.state === 'error');
      const alert = await page.textContent('#error[role="alert"]');
      assert.match(alert, message, file.name);
      assert.equal(await page.isHidden('#results'), true);
      await page.evaluate(() => { document.documentElement.dataset.state = 'next'; });
    }
    // No email column: said so, and the column can be chosen by hand.
    await page.setInputFiles('#file', { name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from('name,city\nAna,Lisbon\nBob,Oslo\n') });
    await page.waitForFunction(() => document.documentElement.dataset.state === 'error');
    assert.match(await page.textContent('#error'), /No email column found in people\.csv/);
    assert.equal(await page.isVisible('#column'), true);
    assert.equal(await page.inputValue('#column'), '');
    await shot(page, 'error-no-column');
    await page.selectOption('#column', '0');
    await page.waitForFunction(() => window.listApp.state === 'done');
    const s = await pageState(page);
    assert.equal(s.rows, 2);
    assert.deepEqual(s.status.map((c) => codes.STATUSES[c]), ['invalid', 'invalid']);
    assert.equal(await page.isHidden('#error'), true);
    assert.deepEqual(page.errors, []);
  });

  test('broken quoting and bytes that are not UTF-8 in a UTF-8 file are reported with line numbers; the rest is checked', async () => {
    const page = await openList();
    // Mixed: UTF-8 (zoë, bücher) with one Latin-1 line (a file that is all
    // Latin-1 is read as Windows-1252 instead: list-more.test.mjs).
    const bytes = Buffer.concat([
      Buffer.from('email,note\nana@example.com,ok\nzoë@bücher.de,utf-8\n'),
      Buffer.from('jos'), Buffer.from([0xe9]), Buffer.from('@example.com,latin-1\n'),
      Buffer.from('bob@example.com,fine\ncarl@example.com,"never closed\ndan@example.com,x\n'),
    ]);
    const file = path.join(dir, 'broken.csv');
    await writeFile(file, bytes);
    await page.setInputFiles('#file', file);
    await finished(page);
    const s = await pageState(page);
    const want = await cliVerdicts(file);
    assert.deepEqual(s.status.map((c) => codes.STATUSES[c]), want.map((v) => v.status));
    assert.deepEqual(s.errors.map((c) => (c === 255 ? null : codes.ERROR_CODES[c])), want.map((v) => v.error?.code ?? null));
    const problems = await page.textContent('#problems');
    assert.match(problems, /1 line not readable as UTF-8 text .*line 4\./);
    assert.match(problems, /1 CSV problem: line 6: a quoted field is never closed/);
    assert.doesNotMatch(problems, /Windows-1252/);

    // Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated.
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name\temail\r\nZoë\tzoë@bücher.de\r\nBob\tbob@gmial.com\r\n', 'utf16le')]);
    await page.setInputFiles('#file', { name: 'unicode.txt', mimeType: 'text/plain', buffer: utf16 });
    await page.waitForFunction(() => window.listApp.state === 'done' && window.listApp.name === 'unicode.txt');
    assert.equal(await page.textContent('#source'), 'unicode.txt: 3 lines, CSV, 2 columns, tab-separated, with a header; read as UTF-16 (little-endian).');
    const u = await pageState(page);
    assert.deepEqual(u.reason.map((c) => codes.REASONS[c]), ['ok', 'possible_typo']);
    assert.deepEqual(page.errors, []);
  });

  test('1,000,000 rows: the table stays fast (only visible rows in the DOM)', async (t) => {
    const page = await openList();
    const million = path.join(dir, 'million.txt');
    const lines = [];
    for (let i = 1; i <= 1_000_000; i++) {
      lines.push(i % 17 === 0 ? `user${i}@gmial.com` : i % 13 === 0 ? `user${i}.example.com` : `user${i}@example${i % 500}.com`);
    }
    await writeFile(million, `${lines.join('\n')}\n`);
    await page.setInputFiles('#file', million);
    await finished(page, 90_000);
    const s = await page.evaluate(() => ({
      rows: window.listApp.rows,
      state: window.listApp.state,
      ms: window.listApp.timing.done - window.listApp.timing.picked,
      longestTask: Math.max(0, ...window.longTasks.filter(([start]) => start >= window.listApp.timing.picked).map(([, d]) => d)),
    }));
    assert.equal(s.state, 'done');
    assert.equal(s.rows, 1_000_000);
    // A filter over a million rows, and a jump to the middle, each in one short task.
    const timings = await page.evaluate(async () => {
      const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
      const select = document.getElementById('f-status');
      let t0 = performance.now();
      select.value = 'invalid';
      select.dispatchEvent(new Event('change'));
      const filter = performance.now() - t0;
      const shown = window.listApp.view.length;
      select.value = '';
      select.dispatchEvent(new Event('change'));
      const viewport = document.getElementById('viewport');
      await frame();
      t0 = performance.now();
      viewport.scrollTop = viewport.scrollHeight / 2;
      await frame();
      await frame();
      const jump = performance.now() - t0;
      return { filter, shown, jump, dom: document.querySelectorAll('#rows .tr').length };
    });
    t.diagnostic(`1,000,000 addresses (.txt): chosen → results in ${Math.round(s.ms)} ms, longest main-thread task ${Math.round(s.longestTask)} ms; filter ${timings.filter.toFixed(1)} ms, jump to the middle ${timings.jump.toFixed(1)} ms`);
    assert.equal(timings.shown, lines.filter((l) => !l.includes('@')).length);
    assert.ok(timings.filter < 200, `filtering 1,000,000 rows took ${timings.filter} ms`);
    assert.ok(timings.jump < 500, `jumping to the middle took ${timings.jump} ms`);
    assert.ok(timings.dom < 60, `only the visible rows in the DOM (${timings.dom})`);
    await page.waitForFunction(() => {
      const line = Number(document.querySelector('#rows .tr .td.line')?.textContent);
      return line > 400_000 && line < 600_000;
    });
    // The end of a scaled scroll range is the last row.
    await page.focus('#viewport');
    await page.keyboard.press('End');
    await page.waitForFunction(() => [...document.querySelectorAll('#rows .tr .td.line')].some((c) => c.textContent === '1000000'));
    await shot(page, 'million');
    assert.deepEqual(page.errors, []);
  });

  test('the page works at phone width', async () => {
    const page = await openList({ width: 360, height: 740 });
    await page.setInputFiles('#file', { name: 'few.csv', mimeType: 'text/csv', buffer: Buffer.from('email,name\nana@gmial.com,Ana\nbob@example.com,Bob\nx@mailinator.com,X\n') });
    await finished(page);
    const layout = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      width: document.documentElement.clientWidth,
    }));
    assert.ok(layout.scroll <= layout.width, `no sideways scroll of the page (${layout.scroll} > ${layout.width})`);
    await shot(page, 'phone');
    assert.deepEqual(page.errors, []);
  });
});
