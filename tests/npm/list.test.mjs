// The npm package's list rules (prebounce-core's `list` module) against the
// CLI: a CSV read the same way (tests/data/list-reading.json, the delimiter
// ties above all), the same verdict for a line that is not UTF-8, the
// formula guard, and the options' defaults taken from the module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { cli, dist, requireBuilt, root } from './helpers.mjs';

requireBuilt();
const pkg = await import(path.join(dist, 'node.js'));
/** CSV files with the reading they must get: { name, why, text, delimiter, hasHeader, column, addresses }. */
const cases = JSON.parse(readFileSync(path.join(root, 'tests/data/list-reading.json'), 'utf8'));

let dir = null;
before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'prebounce-npm-list-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** `prebounce check --offline --json --file NAME` over `content`: its verdicts. */
function cliVerdicts(name, content) {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  const out = execFileSync(cli, ['check', '--offline', '--json', '--file', file], { encoding: 'utf8' });
  return out.trimEnd().split('\n').map((l) => JSON.parse(l));
}

for (const c of cases) {
  test(`a CSV is read as the CLI reads it: ${c.name} (${c.why})`, () => {
    const delimiter = pkg.sniffDelimiter(c.text);
    const records = Papa.parse(c.text, { delimiter }).data.filter((r) => !(r.length === 1 && r[0] === ''));
    const { hasHeader, column } = pkg.detectColumns(records);
    assert.deepEqual({ delimiter, hasHeader, column }, { delimiter: c.delimiter, hasHeader: c.hasHeader, column: c.column });
    assert.deepEqual(records.slice(hasHeader ? 1 : 0).map((r) => r[column] ?? ''), c.addresses);
    assert.deepEqual(cliVerdicts(`${c.name}.csv`, c.text).map((v) => v.input), c.addresses);
  });
}

test('detectColumns says how it found the column, and refuses what is not records', () => {
  assert.deepEqual(pkg.detectColumns([['name', 'Mail'], ['Ann', 'ann@x.com']]), {
    hasHeader: true, column: 1, byName: true, found: true, width: 2, rows: 2,
  });
  assert.equal(pkg.detectColumns([['name', 'city'], ['Ann', 'Oslo']]).found, false);
  assert.throws(() => pkg.detectColumns('a,b'), { name: 'TypeError', message: /array of arrays of strings/ });
  assert.throws(() => pkg.detectColumns([['a', 1]]), TypeError);
  assert.throws(() => pkg.sniffDelimiter(null), TypeError);
});

test('a line that is not UTF-8 gets the CLI\'s verdict', () => {
  const line = Buffer.from('jos\xe9@example.com', 'latin1');
  const [expected] = cliVerdicts('latin1.txt', Buffer.concat([line, Buffer.from('\n')]));
  assert.equal(expected.error.code, 'invalid_encoding');
  assert.deepEqual(pkg.invalidEncodingVerdict(new TextDecoder().decode(line)), expected);
});

test('guardFormula puts a quote before what a spreadsheet would run', () => {
  for (const cell of ['=1+1', '+1 555', '-bob@x.com', '@bob', '\tx', '\rx']) assert.equal(pkg.guardFormula(cell), `'${cell}`);
  for (const cell of ['', 'ann@x.com', ' =1', "'=1", '\n=1']) assert.equal(pkg.guardFormula(cell), cell);
  assert.throws(() => pkg.guardFormula(1), TypeError);
});

test('the options\' bit order and defaults are the module\'s', () => {
  // Every name packs (an unknown one would throw), and no options means DESIGN's defaults.
  for (const name of pkg.OPTION_NAMES) assert.equal(pkg.check('a@example.com', { [name]: true }).input, 'a@example.com');
  assert.equal(pkg.check('josé@example.com').status, 'valid'); // allow_smtputf8 on
  assert.equal(pkg.check('info@example.com').reason, 'ok'); // role_is_risky off
  assert.equal(pkg.check('"a b"@example.com').error.code, 'quoted_local_not_allowed');
  assert.equal(pkg.check('info@example.com', { role_is_risky: true }).reason, 'role_account');
  // The module's names, in its bit order, are the exported OPTION_NAMES.
  assert.throws(() => pkg.check('a@b.com', { nope: true }), {
    name: 'TypeError', message: `prebounce: unknown option "nope" (known: ${pkg.OPTION_NAMES.join(', ')})`,
  });
});
