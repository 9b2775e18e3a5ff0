// The form helper's state, with no DOM: what attach() (form.js) knows about
// one field, changed only by reduce(state, event). attach() turns the DOM's
// events into these events and the state back into the DOM (display), the
// custom validity (customValidity) and edge API requests (state.pending), so
// the rules of the helper can be tested in Node.

/** The message for a verdict that blocks submit but carries none. */
export const FALLBACK_MESSAGE = 'Enter a valid email address.';

/**
 * The state of a field no event has reached yet. `blockRisky`: `risky`
 * verdicts block submit too; `deep`: an edge API is configured (blur asks it).
 */
export function initialState({ blockRisky = false, deep = false } = {}) {
  return Object.freeze({
    blockRisky,
    deep,
    value: '', // the trimmed value last read
    verdict: null, // its verdict: the edge API's when it answered for this value, else the local one; null for ''
    touched: false, // left with a value, a suggestion taken, or a submit tried: `invalid` messages show
    pending: null, // { id, value }: the edge API request in flight
    asked: 0, // edge API requests started (the latest one's id)
    remote: new Map(), // value -> the edge API's verdict
  });
}

/**
 * The state after `event`. Events that read the field carry its trimmed
 * `value` and `local`, the local verdict for it (null for an empty field):
 * - `input`: the value changed (typing, or a framework setting it);
 * - `blur`: the field was left; `invalid` messages show from now on, and the
 *   edge API is asked unless the local verdict is already `invalid`;
 * - `submit`: a submit attempt (the input's `invalid` event);
 * - `accept`: the suggestion was taken (`value` is the suggestion);
 * - `reset`: the form was reset; `invalid` messages are held back again;
 * - `recheck`: the value was set from code (`recheck()`, a pre-filled field).
 * A value other than the pending request's cancels that request. And
 * `remote` `{ id, verdict, value }`: the edge API's answer to request `id`
 * (`verdict` null when it failed), `value` the field's value now; an answer
 * to a request no longer pending, or for a value no longer there, is ignored.
 */
export function reduce(state, event) {
  switch (event.type) {
    case 'input':
      return read(state, event);
    case 'blur':
      return ask(leave(read(state, event)));
    case 'recheck':
      return leave(read(state, event));
    case 'submit':
    case 'accept':
      return freeze({ ...read(state, event), touched: true });
    case 'reset':
      return freeze({ ...read(state, event), touched: false });
    case 'remote':
      return answer(state, event);
    default:
      throw new TypeError(`prebounce form state: unknown event ${JSON.stringify(event?.type)}`);
  }
}

/** Whether the state's verdict blocks submit (`invalid`, or `risky` with blockRisky). */
export function blocks(state) {
  const { verdict } = state;
  return verdict !== null && (verdict.status === 'invalid' || (state.blockRisky && verdict.status === 'risky'));
}

/** The input's custom validity: the verdict's message while it blocks submit, else ''. */
export function customValidity(state) {
  return blocks(state) ? state.verdict.message || FALLBACK_MESSAGE : '';
}

/**
 * What the field shows for `state`: `visible` (a message is shown), `status`
 * (the shown verdict's, or null), `words` (the message text; '' for a typo,
 * whose button asks the question), `suggestion` (the button's address, or
 * null), `blocks` (shown and blocking: aria-invalid) and `announcement` (the
 * live region's text).
 */
export function display(state) {
  const { verdict, touched } = state;
  const visible = verdict !== null && verdict.status !== 'valid' && (touched || verdict.status !== 'invalid');
  if (!visible) return { visible, status: null, words: '', suggestion: null, blocks: false, announcement: '' };
  const message = verdict.message || FALLBACK_MESSAGE;
  const suggestion = verdict.suggestion || null;
  return {
    visible,
    status: verdict.status,
    words: suggestion && verdict.reason === 'possible_typo' ? '' : message,
    suggestion,
    blocks: blocks(state),
    announcement: message,
  };
}

function freeze(state) {
  return Object.freeze(state);
}

/** The value and its verdict; a request for another value is cancelled. */
function read(state, { value, local }) {
  const pending = state.pending !== null && state.pending.value !== value ? null : state.pending;
  const verdict = value === '' ? null : state.remote.get(value) ?? local;
  return freeze({ ...state, value, verdict, pending });
}

/** Left with a value: its messages show. */
function leave(state) {
  return state.verdict === null ? state : freeze({ ...state, touched: true });
}

/** Asks the edge API about the value, unless it answered already, or is being asked, or the local verdict is `invalid` (it would say the same). */
function ask(state) {
  const { deep, value, verdict, pending, remote } = state;
  if (!deep || verdict === null || verdict.status === 'invalid' || remote.has(value) || pending !== null) return state;
  const id = state.asked + 1;
  return freeze({ ...state, pending: freeze({ id, value }), asked: id });
}

function answer(state, { id, verdict, value }) {
  if (state.pending === null || state.pending.id !== id) return state; // cancelled, or replaced by a newer one
  const asked = state.pending.value;
  const done = { ...state, pending: null };
  if (verdict === null || value !== asked) return freeze(done); // the local verdict stands
  return freeze({ ...done, value, verdict, remote: new Map(state.remote).set(value, verdict) });
}
