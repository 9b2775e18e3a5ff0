// The form helper's state (crates/wasm/js/form-state.js, as built into the
// package) driven through the sequences a field goes through — typing, a typo
// taken, a submit, a reset, the edge API answering late, failing or for a
// value already gone — with the package's real local verdicts. No DOM: the
// renderer and the events are tested in Chromium (tests/browser/form.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { dist, requireBuilt } from './helpers.mjs';

requireBuilt();
const { check } = await import(path.join(dist, 'node.js'));
const { initialState, reduce, customValidity, display, FALLBACK_MESSAGE } = await import(path.join(dist, 'form-state.js'));

/** A field event as attach() makes it: the trimmed value and its local verdict. */
function field(type, value) {
  return { type, value, local: value === '' ? null : check(value) };
}

/** `input` events for each prefix of `text`, as typing sends them. */
function typing(state, text) {
  let s = state;
  for (let i = 1; i <= text.length; i++) s = reduce(s, field('input', text.slice(0, i)));
  return s;
}

/** The edge API's answer to request `id`, the field holding `value` by then. */
function remote(id, verdict, value) {
  return { type: 'remote', id, verdict, value };
}

/** A verdict as the edge API sends it (deeper than the local check). */
function edgeVerdict(email, fields) {
  return { input: email, status: 'valid', reason: 'ok', depth: 'smtp', message: null, suggestion: null, ...fields };
}

const DISABLED = 'The mail server says this mailbox has been disabled.';

test('typing: invalid messages wait for the blur, the custom validity follows every keystroke', () => {
  let s = typing(initialState(), 'j');
  assert.equal(s.verdict.status, 'invalid');
  assert.equal(s.touched, false);
  assert.equal(display(s).visible, false);
  assert.equal(customValidity(s), check('j').message);
  assert.notEqual(customValidity(s), '');

  s = typing(s, 'john@example.com');
  assert.equal(s.value, 'john@example.com');
  assert.equal(s.verdict.status, 'valid');
  assert.equal(customValidity(s), '');

  s = reduce(s, field('input', 'john@'));
  assert.equal(display(s).visible, false);
  s = reduce(s, field('blur', 'john@'));
  assert.equal(s.touched, true);
  assert.deepEqual(display(s), {
    visible: true, status: 'invalid', words: check('john@').message, suggestion: null, blocks: true, announcement: check('john@').message,
  });
});

test('a typo shows its button while typing; accepting it takes the corrected address', () => {
  let s = typing(initialState(), 'john@gmial.com');
  const typo = display(s);
  assert.equal(s.touched, false);
  assert.equal(typo.visible, true);
  assert.equal(typo.status, 'risky');
  assert.equal(typo.suggestion, 'john@gmail.com');
  assert.equal(typo.words, '', 'the button asks the question; no text beside it');
  assert.match(typo.announcement, /did you mean john@gmail\.com\?/);
  assert.equal(customValidity(s), '', 'risky does not block by default');

  s = reduce(s, field('accept', typo.suggestion));
  assert.equal(s.value, 'john@gmail.com');
  assert.equal(s.verdict.status, 'valid');
  assert.equal(s.touched, true);
  assert.deepEqual(display(s), { visible: false, status: null, words: '', suggestion: null, blocks: false, announcement: '' });
});

test('blockRisky: a risky verdict blocks submit too', () => {
  const address = 'x@mailinator.com';
  const free = typing(initialState(), address);
  const strict = typing(initialState({ blockRisky: true }), address);
  assert.equal(strict.verdict.reason, 'disposable');
  assert.equal(customValidity(free), '');
  assert.equal(display(free).blocks, false);
  assert.equal(customValidity(strict), strict.verdict.message);
  assert.equal(display(strict).blocks, true);
});

test('a submit shows what blocks it at once; a reset holds invalid messages back again', () => {
  let s = typing(initialState(), 'john@');
  assert.equal(display(s).visible, false);
  s = reduce(s, field('submit', 'john@'));
  assert.equal(s.touched, true);
  assert.equal(display(s).visible, true);
  assert.equal(display(s).blocks, true);

  s = reduce(s, field('reset', 'bad@'));
  assert.equal(s.value, 'bad@');
  assert.equal(s.touched, false);
  assert.equal(s.verdict.status, 'invalid');
  assert.equal(display(s).visible, false);
  assert.notEqual(customValidity(s), '', 'still blocks submit, silently');
});

test('an empty field: no verdict; a blur leaves it untouched, a submit does not', () => {
  let s = reduce(initialState(), field('blur', ''));
  assert.equal(s.verdict, null);
  assert.equal(s.touched, false);
  assert.equal(customValidity(s), '', "an empty field is the required attribute's business");
  s = reduce(s, field('submit', ''));
  assert.equal(s.touched, true);
  s = reduce(s, field('input', 'j'));
  assert.equal(display(s).visible, true, 'after a submit, invalid messages show while typing');
});

test('recheck (a value set from code, or pre-filled) shows its messages at once', () => {
  const s = reduce(initialState(), field('recheck', 'john@'));
  assert.equal(s.touched, true);
  assert.equal(display(s).words, check('john@').message);
  assert.equal(reduce(initialState(), field('recheck', '')).touched, false);
});

test('deep check: a blur asks once; the answer replaces the local verdict and is remembered', () => {
  const email = 'gone@example.com';
  const disabled = edgeVerdict(email, { status: 'invalid', reason: 'mailbox_disabled', message: DISABLED });
  let s = reduce(typing(initialState({ deep: true }), email), field('blur', email));
  assert.deepEqual(s.pending, { id: 1, value: email });
  const asking = s.pending;
  s = reduce(s, field('blur', email));
  assert.equal(s.pending, asking, 'the same request goes on');
  assert.equal(s.asked, 1);

  s = reduce(s, remote(1, disabled, email));
  assert.equal(s.pending, null);
  assert.equal(s.verdict, disabled);
  assert.equal(customValidity(s), DISABLED);
  assert.deepEqual(display(s), { visible: true, status: 'invalid', words: DISABLED, suggestion: null, blocks: true, announcement: DISABLED });

  s = reduce(s, field('input', 'gone@example.co'));
  assert.equal(s.verdict.status, 'valid');
  s = reduce(s, field('input', email));
  assert.equal(s.verdict, disabled, 'the answer is kept for its value');
  s = reduce(s, field('blur', email));
  assert.equal(s.pending, null);
  assert.equal(s.asked, 1, 'not asked again');
});

test('deep check: a newer value cancels the request, and its late answer is ignored', () => {
  let s = reduce(initialState({ deep: true }), field('blur', 'a@example.com'));
  assert.equal(s.pending.id, 1);
  s = reduce(s, field('input', 'b@example.com'));
  assert.equal(s.pending, null, 'cancelled by the new value');
  s = reduce(s, field('blur', 'b@example.com'));
  assert.deepEqual(s.pending, { id: 2, value: 'b@example.com' });

  const late = reduce(s, remote(1, edgeVerdict('a@example.com', { status: 'invalid', reason: 'does_not_exist' }), 'b@example.com'));
  assert.equal(late, s, 'the stale answer changes nothing');

  const answer = edgeVerdict('b@example.com');
  s = reduce(late, remote(2, answer, 'b@example.com'));
  assert.equal(s.verdict, answer);
  assert.equal(s.remote.has('a@example.com'), false);
  s = reduce(reduce(s, field('input', 'b@example.co')), field('input', 'b@example.com'));
  s = reduce(s, field('blur', 'b@example.com'));
  assert.equal(s.pending, null, 'a value the edge answered for is not asked again');
  assert.equal(s.asked, 2);
});

test('deep check: an answer for a value changed from code (no event) is dropped', () => {
  let s = reduce(initialState({ deep: true }), field('blur', 'a@example.com'));
  const local = s.verdict;
  s = reduce(s, remote(1, edgeVerdict('a@example.com', { status: 'invalid', reason: 'mailbox_disabled' }), 'c@example.com'));
  assert.equal(s.pending, null);
  assert.equal(s.verdict, local);
  assert.equal(s.remote.size, 0);
});

test('deep check: a failure keeps the local verdict, and the next blur asks again', () => {
  let s = reduce(initialState({ deep: true }), field('blur', 'error@example.com'));
  const local = s.verdict;
  s = reduce(s, remote(1, null, 'error@example.com'));
  assert.equal(s.pending, null);
  assert.equal(s.verdict, local);
  assert.equal(s.remote.size, 0);
  s = reduce(s, field('blur', 'error@example.com'));
  assert.deepEqual(s.pending, { id: 2, value: 'error@example.com' });
});

test('deep check: never for an invalid local verdict, an empty field, or without an edge API', () => {
  assert.equal(reduce(initialState({ deep: true }), field('blur', 'john@')).pending, null);
  assert.equal(reduce(initialState({ deep: true }), field('blur', '')).pending, null);
  const off = reduce(initialState(), field('blur', 'a@example.com'));
  assert.equal(off.pending, null);
  assert.equal(off.asked, 0);
  // A submit or a recheck does not ask either: only leaving the field does.
  assert.equal(reduce(initialState({ deep: true }), field('submit', 'a@example.com')).pending, null);
  assert.equal(reduce(initialState({ deep: true }), field('recheck', 'a@example.com')).pending, null);
});

test('deep check: an unknown answer shows without blocking; one without a message gets the fallback', () => {
  let s = reduce(initialState({ deep: true }), field('blur', 'unknown@example.com'));
  s = reduce(s, remote(1, edgeVerdict('unknown@example.com', { status: 'unknown', reason: 'smtp_unavailable', message: 'The mail server could not be reached.' }), 'unknown@example.com'));
  assert.deepEqual(display(s), {
    visible: true, status: 'unknown', words: 'The mail server could not be reached.', suggestion: null, blocks: false, announcement: 'The mail server could not be reached.',
  });
  assert.equal(customValidity(s), '');

  let bare = reduce(initialState({ deep: true }), field('blur', 'bare@example.com'));
  bare = reduce(bare, remote(1, edgeVerdict('bare@example.com', { status: 'invalid', reason: 'does_not_exist', message: undefined }), 'bare@example.com'));
  assert.equal(customValidity(bare), FALLBACK_MESSAGE);
  assert.equal(display(bare).words, FALLBACK_MESSAGE);
});

test('states are frozen, events leave the old state alone, unknown events throw', () => {
  const before = typing(initialState(), 'john@');
  const after = reduce(before, field('blur', 'john@'));
  assert.ok(Object.isFrozen(before) && Object.isFrozen(after));
  assert.equal(before.touched, false);
  assert.equal(after.touched, true);
  assert.throws(() => reduce(before, { type: 'focus' }), { name: 'TypeError', message: /unknown event "focus"/ });
});
