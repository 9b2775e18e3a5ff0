// The built npm package, through both entry points, under node's test runner.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { dist, requireBuilt, cliVerdictGroups } from './helpers.mjs';

requireBuilt();
const node = await import(path.join(dist, 'node.js'));
const browser = await import(path.join(dist, 'index.js'));
const pkg = JSON.parse(readFileSync(path.join(dist, 'package.json'), 'utf8'));

before(async () => {
  // The browser entry fetches its .wasm by URL; Node's fetch has no file:
  // scheme, so hand it the bytes (init accepts a module source).
  await assert.rejects(browser.init('file:///nonexistent/prebounce.wasm'), /could not load its WebAssembly module/);
  await browser.init(readFileSync(path.join(dist, 'wasm/web/prebounce_wasm_bg.wasm')));
});

test('package.json maps browsers, bundlers and Node', () => {
  assert.equal(pkg.name, 'prebounce');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.exports['.'].node, './node.js');
  assert.equal(pkg.exports['.'].browser, './index.js');
  assert.equal(pkg.exports['.'].types, './index.d.ts');
  assert.match(pkg.engines.node, />=\s*20/);
  for (const f of pkg.files) assert.ok(existsSync(path.join(dist, f)), f);
});

for (const [name, api] of [['node entry', node], ['browser entry', browser]]) {
  test(`${name}: check gives DESIGN's verdict shape`, () => {
    const v = api.check('John.Doe@Bücher.DE');
    assert.deepEqual(Object.keys(v), [
      'input', 'address', 'address_unicode', 'local', 'domain', 'domain_unicode', 'status', 'reason',
      'depth', 'message', 'detail', 'suggestion', 'retry_after', 'flags', 'error', 'dns', 'smtp',
    ]);
    assert.equal(v.address, 'John.Doe@xn--bcher-kva.de');
    assert.equal(v.address_unicode, 'John.Doe@bücher.de');
    assert.equal(v.status, 'valid');
    assert.equal(v.depth, 'syntax');
    assert.equal(v.message, null);
    assert.deepEqual(v.flags, { disposable: false, role: false, free: false, smtputf8: false });
  });

  test(`${name}: typos, disposables, options`, () => {
    assert.equal(api.check('john@gmial.com').suggestion, 'john@gmail.com');
    assert.equal(api.suggest('john@gmial.com'), 'john@gmail.com');
    assert.equal(api.suggest('john@gmail.com'), null);
    assert.equal(api.check('x@mailinator.com').reason, 'disposable');
    assert.equal(api.check('a@alpha.test').error.code, 'special_use_domain');
    assert.equal(api.check('a@alpha.test', { allow_special_use: true }).status, 'valid');
    assert.equal(api.check('info@example.com', { role_is_risky: true }).reason, 'role_account');
    assert.equal(api.check('josé@example.com', { allow_smtputf8: false }).error.code, 'smtputf8_not_allowed');
  });

  test(`${name}: wrong arguments throw TypeError with a clear message`, () => {
    assert.throws(() => api.check(42), { name: 'TypeError', message: /address must be a string, got number/ });
    assert.throws(() => api.check(undefined), TypeError);
    assert.throws(() => api.checkMany({ length: 1 }), { name: 'TypeError', message: /array or a newline-separated string/ });
    assert.throws(() => api.checkMany(null), TypeError);
    assert.throws(() => api.check('a@b.com', { allow_everything: true }), { name: 'TypeError', message: /unknown option "allow_everything"/ });
    assert.throws(() => api.check('a@b.com', { role_is_risky: 'yes' }), { name: 'TypeError', message: /must be true or false/ });
    assert.throws(() => api.check('a@b.com', 'role_is_risky'), TypeError);
    assert.throws(() => api.suggest(null), TypeError);
  });

  test(`${name}: hostile strings get verdicts, not crashes`, () => {
    assert.equal(api.check('\uD800@example.com').status, 'invalid'); // lone surrogate
    assert.equal(api.check('\uDC00').error.code, 'missing_at');
    assert.equal(api.check('a\0b@example.com').error.code, 'local_invalid_character');
    assert.equal(api.check('\0').status, 'invalid');
    const mega = 'a'.repeat(1 << 20);
    assert.equal(api.check(`${mega}@example.com`).error.code, 'local_too_long');
    assert.equal(api.check(`a@${mega}.com`).status, 'invalid');
    assert.equal(api.check('@'.repeat(1 << 20)).status, 'invalid');
    assert.equal(api.check('').error.code, 'empty');
  });

  test(`${name}: checkMany gives codes, counts and lazy verdicts`, () => {
    const items = ['a@gmail.com', 5, null, { x: 1 }, 'john@gmial.com', 'bad', 'x@mailinator.com', ''];
    const r = api.checkMany(items);
    assert.equal(r.length, items.length);
    assert.ok(r.status instanceof Uint8Array && r.reason instanceof Uint8Array);
    assert.ok(r.flags instanceof Uint8Array && r.errors instanceof Uint8Array);
    assert.deepEqual([...r.status], [0, 1, 1, 1, 2, 1, 2, 1]);
    assert.equal(r.reasonOf(4), 'possible_typo');
    assert.equal(api.ERROR_CODES[r.errors[1]], 'not_a_string');
    assert.equal(r.errors[0], 255);
    assert.equal(r.verdict(1).error.code, 'not_a_string');
    assert.equal(r.verdict(1).input, '5');
    assert.equal(r.verdict(3).input, '{"x":1}');
    assert.equal(r.verdict(4).suggestion, 'john@gmail.com');
    assert.equal(r.verdict(items.length), undefined);
    assert.equal(r.verdict(NaN), undefined);
    assert.equal(r.verdict(1.5), undefined);
    assert.equal(r.verdict(-1), undefined);
    assert.ok(r.hasFlag(0, 'free') && r.hasFlag(6, 'disposable'));
    assert.deepEqual(r.counts.byStatus, { valid: 1, invalid: 5, risky: 2, unknown: 0 });
    assert.equal(r.counts.byReason.not_a_string, undefined);
    assert.equal(r.counts.byReason.invalid_syntax, 5);
    assert.equal(r.counts.total, items.length);
    // Every row's verdict agrees with its codes.
    for (let i = 0; i < r.length; i++) {
      const v = r.verdict(i);
      assert.equal(v.status, r.statusOf(i), `row ${i}`);
      assert.equal(v.reason, r.reasonOf(i), `row ${i}`);
    }
    r.free();
    r.free(); // twice is fine
    assert.throws(() => r.verdict(0), /were freed/);
  });

  test(`${name}: non-strings are shown as JavaScript would show them`, () => {
    const r = api.checkMany([undefined, Symbol('s'), 10n, [1, 'a'], true]);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => r.input(i)), ['undefined', 'Symbol(s)', '10', '[1,"a"]', 'true']);
    assert.ok([0, 1, 2, 3, 4].every((i) => r.verdict(i).error.code === 'not_a_string'));
  });

  test(`${name}: a newline-separated string and an array give the same rows`, () => {
    const lines = ['a@example.com', 'b@gmial.com', 'bad', 'c@mailinator.com', 'line\r'];
    const fromArray = api.checkMany(lines);
    const fromString = api.checkMany('a@example.com\nb@gmial.com\r\nbad\nc@mailinator.com\nline\r\n');
    assert.equal(fromString.length, 5);
    assert.deepEqual([...fromArray.reason.slice(0, 4)], [...fromString.reason.slice(0, 4)]);
    assert.equal(fromArray.input(4), 'line\r');
    assert.equal(fromString.input(4), 'line');
    assert.equal(api.checkMany([]).length, 0);
    assert.equal(api.checkMany(['']).length, 1);
    assert.equal(api.checkMany(['a@b.com', '']).length, 2);
    assert.equal(api.checkMany('').length, 0);
  });

  test(`${name}: the codes tables match the module`, () => {
    const r = api.checkMany(['', 'x@mailinator.com', 'info@gmail.com', 'josé@example.com']);
    assert.equal(api.ERROR_CODES[r.errors[0]], 'empty');
    assert.equal(r.flags[1] & api.FLAGS.disposable, api.FLAGS.disposable);
    assert.equal(r.flags[2], api.FLAGS.role | api.FLAGS.free);
    assert.equal(r.flags[3], api.FLAGS.smtputf8);
    assert.equal(api.REASONS.length, 18);
    assert.equal(api.STATUSES.join(), 'valid,invalid,risky,unknown');
  });

  test(`${name}: transferable arrays survive structuredClone with transfer`, () => {
    const r = api.checkMany(['a@b.com', 'bad']);
    const copy = structuredClone(r.status, { transfer: [r.status.buffer] });
    assert.deepEqual([...copy], [0, 1]);
    assert.equal(r.status.byteLength, 0); // moved, not copied
  });
}

test('the full disposable data file loads on demand and changes verdicts', async () => {
  // A domain on the full list but not the curated one.
  const domain = '0-180.com';
  const before = browser.check(`x@${domain}`);
  assert.equal(before.reason, 'ok');
  assert.match(before.detail, /built-in list of \d+ common services/);
  await assert.rejects(browser.loadDisposableData(new Uint8Array([1, 2, 3])), /disposable data/);
  await assert.rejects(browser.loadDisposableData(42), TypeError);
  const status = await browser.loadDisposableData(readFileSync(path.join(dist, 'disposable.bin')));
  assert.ok(status.fullLoaded && status.full >= 100_000, JSON.stringify(status));
  assert.equal(browser.check(`x@${domain}`).reason, 'disposable');
  assert.equal(browser.check('x@example.com').detail, null);
  const viaPath = await node.loadDisposableData();
  assert.equal(viaPath.full, status.full);
});

test('with the full data loaded, verdicts equal `prebounce check --offline --json`', async () => {
  await node.loadDisposableData();
  // One CLI run per option set, addresses as arguments (so no line splitting).
  const groups = cliVerdictGroups();
  let compared = 0;
  for (const { key, options, inputs, expected } of groups) {
    assert.equal(expected.length, inputs.length, key);
    inputs.forEach((input, i) => {
      assert.deepEqual(node.check(input, options), expected[i], `${key} ${JSON.stringify(input)}`);
      compared++;
    });
  }
  const cases = groups.reduce((n, g) => n + g.inputs.length, 0);
  assert.ok(cases >= 400, `${cases} cases`);
  assert.equal(compared, cases);
});
