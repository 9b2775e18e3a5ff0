// The form helper: attach(input, options) validates an <input type="email">
// with prebounce's verdicts, through the browser's own constraint validation
// (setCustomValidity), so a plain <form> — or a React / Vue one holding the
// input in a ref — blocks submit on a bad address without extra code.
//
// - The verdict is recomputed on every keystroke (a check costs microseconds),
//   so the custom validity is never stale when the form is submitted; what is
//   debounced is what the user sees and hears: the message, the live
//   announcement and onVerdict.
// - Before the field was first left (or a submit attempt), `invalid` messages
//   are held back: "needs an @ sign" after one typed letter helps nobody.
//   Typo suggestions and other warnings show while typing.
// - The optional deep check asks the edge API on blur; a newer value cancels
//   it, and any failure leaves the local verdict in place.
import { fetchVerdict } from './edge.js';
import { initialState, reduce, customValidity, display } from './form-state.js';

const DEFAULT_DEBOUNCE_MS = 300;
const DEFAULT_TIMEOUT_MS = 5000;
// Visually hidden, still read by screen readers (no stylesheet needed).
const VISUALLY_HIDDEN =
  'position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;' +
  'overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;';

const attached = new WeakMap();
let nextId = 0;

/**
 * The form helper over one entry point's `check`, `version` and `optionBits`
 * (each entry loads its own WebAssembly module).
 */
export function makeAttach({ check, version, optionBits }) {
  /**
   * Validates an `<input type="email">` as the user types.
   * @param {HTMLInputElement} input
   * @param {import('./index.d.ts').AttachOptions} [options]
   * @returns {import('./index.d.ts').Attachment}
   */
  return function attachTo(input, options) {
    return attach(check, version, optionBits, input, options);
  };
}

// attach() is the event layer: it turns the DOM's events into form-state.js
// events, keeps the timers (debounce, pointer presses) and the edge API
// requests, and hands the state to the renderer below.
function attach(check, version, optionBits, input, options = {}) {
  if (!isInputElement(input)) {
    throw new TypeError(`prebounce.attach(input): input must be an HTMLInputElement (an <input type="email">), got ${describe(input)}`);
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`prebounce.attach(input, options): options must be an object, got ${describe(options)}`);
  }
  try {
    version(); // throws until init() has loaded the module
  } catch (e) {
    throw new Error('prebounce.attach: the WebAssembly module is not loaded yet; await init() before attach()', { cause: e });
  }
  const checkOptions = options.options ?? undefined;
  optionBits(checkOptions, 'attach options.options'); // TypeError for unknown names or non-booleans, now rather than per keystroke
  const debounceMs = options.debounce ?? DEFAULT_DEBOUNCE_MS;
  if (typeof debounceMs !== 'number' || !(debounceMs >= 0)) {
    throw new TypeError(`prebounce.attach: options.debounce must be a number of milliseconds >= 0, got ${describe(debounceMs)}`);
  }
  const blockRisky = options.blockRisky === true;
  const onVerdict = options.onVerdict;
  if (onVerdict !== undefined && typeof onVerdict !== 'function') {
    throw new TypeError(`prebounce.attach: options.onVerdict must be a function, got ${describe(onVerdict)}`);
  }
  const api = options.api == null ? null : apiSettings(options.api);
  const doc = input.ownerDocument;
  const view = doc.defaultView ?? globalThis;
  const edgeFetch = (url, init) => view.fetch(url, init); // the input's window's
  if (options.messageElement != null && !isElement(options.messageElement, view)) {
    throw new TypeError(`prebounce.attach: options.messageElement must be an element, got ${describe(options.messageElement)}`);
  }

  // One attachment per input: attaching again (new options, a framework
  // effect running twice) replaces the previous one.
  attached.get(input)?.detach();

  const ui = renderer(input, options.messageElement ?? null, ++nextId, accept);
  let state = initialState({ blockRisky, deep: api !== null });
  let shown;                // JSON of the verdict last rendered (undefined: none yet)
  let timer = null;         // debounce timer
  const requests = new Map(); // request id -> { controller, timer } of the edge API requests in flight
  let detached = false;
  // A mouse or finger is down: a message that appears now (on blur, say) would
  // move the button being clicked away from under it, and the click would be
  // lost. Rendering waits for the release (and the click that follows).
  let pressed = false;
  let deferred = false;
  let releaseTimer = null;

  /** A form-state event of `type` with the field's value and its local verdict. */
  function read(type) {
    const value = input.value.trim();
    return { type, value, local: value === '' ? null : check(value, checkOptions) };
  }

  /** Applies `event` to the state: the custom validity and the requests follow at once. Returns the state before. */
  function dispatch(event) {
    const before = state;
    state = reduce(state, event);
    input.setCustomValidity(customValidity(state));
    if (state.pending !== before.pending) {
      if (before.pending !== null) stopRequest(before.pending.id);
      if (state.pending !== null) startRequest(state.pending);
      ui.busy(state.pending !== null);
    }
    return before;
  }

  /** Shows (and announces) the current verdict, and tells onVerdict. */
  function render() {
    clearTimeout(timer);
    timer = null;
    if (detached) return;
    if (pressed) {
      deferred = true;
      return;
    }
    deferred = false;
    ui.show(state);
    const json = JSON.stringify(state.verdict);
    if (json !== shown) {
      shown = json;
      if (onVerdict !== undefined) {
        try {
          onVerdict(state.verdict);
        } catch (e) {
          reportError(view, e);
        }
      }
    }
  }

  /** The suggestion button: take the corrected address, re-check, focus the field. */
  function accept(suggestion) {
    setValue(input, suggestion);
    // Frameworks (React's onChange, Vue's v-model) learn of the new value from these.
    input.dispatchEvent(new view.Event('input', { bubbles: true }));
    input.dispatchEvent(new view.Event('change', { bubbles: true }));
    if (detached) return;
    dispatch(read('accept'));
    input.focus();
    render(); // the corrected address has no suggestion: the button goes
  }

  // --- the deep check -------------------------------------------------------

  function startRequest({ id, value }) {
    const controller = new view.AbortController();
    const timeout = setTimeout(() => controller.abort(), api.timeoutMs);
    requests.set(id, { controller, timer: timeout });
    fetchVerdict({ endpoint: api.endpoint, key: api.key, email: value, options: checkOptions, signal: controller.signal, fetch: edgeFetch }).then((verdict) => {
      const request = requests.get(id);
      if (request === undefined) return; // cancelled, or replaced by a newer one
      clearTimeout(request.timer);
      requests.delete(id);
      if (detached) return;
      const before = dispatch({ type: 'remote', id, verdict, value: input.value.trim() });
      if (state.verdict !== before.verdict) render(); // else the local verdict stands, silently
    });
  }

  function stopRequest(id) {
    const request = requests.get(id);
    if (request === undefined) return;
    requests.delete(id);
    clearTimeout(request.timer);
    request.controller.abort();
  }

  // --- events -----------------------------------------------------------------

  function onInput() {
    dispatch(read('input'));
    clearTimeout(timer);
    if (state.verdict === null) render(); // emptied: clear the message at once
    else timer = setTimeout(render, debounceMs);
  }

  function onBlur() {
    dispatch(read('blur'));
    render();
  }

  function onInvalid() {
    // A submit attempt: show what blocks it now, whatever the debounce.
    dispatch(read('submit'));
    pressed = false;
    render();
  }

  function onReset(event) {
    // A form reset sets the value back without an `input` event.
    if (event.target !== input.form) return;
    setTimeout(() => {
      if (detached) return;
      dispatch(read('reset'));
      render();
    }, 0);
  }

  function onPress() {
    pressed = true;
    clearTimeout(releaseTimer);
    // A release outside the window is never seen: do not wait for ever.
    releaseTimer = setTimeout(onRelease, 1000);
  }

  function onRelease() {
    clearTimeout(releaseTimer);
    releaseTimer = null;
    if (!pressed) return;
    pressed = false;
    // After the click this press makes (dispatched right after the release).
    if (deferred) timer = setTimeout(render, 0);
  }

  input.addEventListener('input', onInput);
  input.addEventListener('blur', onBlur);
  input.addEventListener('invalid', onInvalid);
  // Touch sends pointerup before the mousedown that moves focus: both kinds count.
  const pressEvents = ['pointerdown', 'mousedown'];
  const releaseEvents = ['pointerup', 'pointercancel', 'mouseup', 'dragend'];
  for (const type of pressEvents) doc.addEventListener(type, onPress, true);
  for (const type of releaseEvents) doc.addEventListener(type, onRelease, true);
  doc.addEventListener('reset', onReset, true);

  // A value already there (pre-filled, or re-attached with new options) is judged at once.
  dispatch(read('recheck'));
  if (state.verdict !== null) render();

  function detach() {
    if (detached) return;
    detached = true;
    clearTimeout(timer);
    timer = null;
    clearTimeout(releaseTimer);
    for (const id of [...requests.keys()]) stopRequest(id);
    input.removeEventListener('input', onInput);
    input.removeEventListener('blur', onBlur);
    input.removeEventListener('invalid', onInvalid);
    for (const type of pressEvents) doc.removeEventListener(type, onPress, true);
    for (const type of releaseEvents) doc.removeEventListener(type, onRelease, true);
    doc.removeEventListener('reset', onReset, true);
    input.setCustomValidity('');
    ui.remove();
    if (attached.get(input) === attachment) attached.delete(input);
  }

  const attachment = Object.freeze({
    detach,
    /** The latest verdict (null for an empty field). */
    get verdict() {
      return state.verdict;
    },
    /** Re-checks now, after the value was set from code (which fires no event). */
    recheck() {
      if (detached) return state.verdict;
      dispatch(read('recheck'));
      render();
      return state.verdict;
    },
  });
  attached.set(input, attachment);
  return attachment;
}

/**
 * The renderer: adds the message element (or uses the caller's `given`; ids
 * made from the input's or from `uid`), the text, the suggestion button and
 * the live region, and applies a form state
 * to them and to the input's attributes. `onAccept(suggestion)` runs when the
 * suggestion button is pressed; `remove()` puts the DOM back as found.
 */
function renderer(input, given, uid, onAccept) {
  const doc = input.ownerDocument;
  const base = input.id ? `${input.id}-prebounce` : `prebounce-${uid}`;

  // The message element: the caller's, or a new one right after the input.
  const ownMessage = given === null;
  const message = ownMessage ? doc.createElement('div') : given;
  const messageIdAdded = !message.id;
  if (ownMessage) {
    message.className = 'prebounce-message';
    message.hidden = true;
    input.insertAdjacentElement('afterend', message);
  }
  if (messageIdAdded) message.id = uniqueId(doc, `${base}-message`);
  const text = doc.createElement('span');
  text.className = 'prebounce-text';
  message.append(text);

  // The live region: polite, visually hidden, only written when its text changes.
  const live = doc.createElement('span');
  live.className = 'prebounce-live';
  live.setAttribute('aria-live', 'polite');
  live.setAttribute('style', VISUALLY_HIDDEN);
  // Next to our own message; at the end of <body> when the caller gave the
  // message element (its parent may be a framework's, which dislikes strangers).
  if (ownMessage) message.insertAdjacentElement('afterend', live);
  else (doc.body ?? doc.documentElement).append(live);

  // aria-describedby gets the message's id; the original value comes back on remove().
  const describedByBefore = input.getAttribute('aria-describedby');
  const describedBy = (describedByBefore ?? '').split(/\s+/).filter(Boolean);
  if (!describedBy.includes(message.id)) {
    input.setAttribute('aria-describedby', [...describedBy, message.id].join(' '));
  }
  const ariaInvalidBefore = input.getAttribute('aria-invalid');

  let button = null;        // the suggestion button, while one is offered
  let announced = '';       // text last written to the live region

  function announce(words) {
    if (words === announced) return; // never re-announce the same text
    announced = words;
    live.textContent = words;
  }

  function press() {
    if (button !== null) onAccept(button.dataset.suggestion);
  }

  function offer(suggestion) {
    if (button === null) {
      button = doc.createElement('button');
      button.type = 'button';
      button.className = 'prebounce-suggestion';
      button.addEventListener('click', press);
      message.append(button);
    }
    if (button.dataset.suggestion !== suggestion) {
      button.dataset.suggestion = suggestion;
      const strong = doc.createElement('strong');
      strong.textContent = suggestion;
      button.replaceChildren('Did you mean ', strong, '?');
    }
  }

  function withdraw() {
    if (button === null) return;
    button.removeEventListener('click', press);
    button.remove();
    button = null;
  }

  /** Marks a request to the edge API in flight (or none). */
  function busy(on) {
    setData(input, 'prebouncePending', on ? '' : null);
    if (on) message.setAttribute('aria-busy', 'true');
    else message.removeAttribute('aria-busy');
  }

  return {
    busy,
    /** Shows `state` (form-state.js): the message, the button, the attributes, the announcement. */
    show(state) {
      const shown = display(state);
      text.textContent = shown.words;
      text.hidden = shown.words === '';
      if (shown.suggestion) offer(shown.suggestion); else withdraw();
      if (ownMessage) message.hidden = !shown.visible;
      setData(message, 'prebounceStatus', shown.status);
      setData(message, 'prebounceBlocks', shown.blocks ? '' : null);
      setData(input, 'prebounceStatus', state.verdict === null ? null : state.verdict.status);
      if (shown.blocks) input.setAttribute('aria-invalid', 'true');
      else restoreAttribute(input, 'aria-invalid', ariaInvalidBefore);
      announce(shown.announcement);
    },
    remove() {
      busy(false);
      withdraw();
      restoreAttribute(input, 'aria-describedby', describedByBefore);
      restoreAttribute(input, 'aria-invalid', ariaInvalidBefore);
      setData(input, 'prebounceStatus', null);
      live.remove();
      if (ownMessage) {
        message.remove();
      } else {
        text.remove();
        setData(message, 'prebounceStatus', null);
        setData(message, 'prebounceBlocks', null);
        if (messageIdAdded) message.removeAttribute('id');
      }
    },
  };
}

function apiSettings(api) {
  if (typeof api !== 'object' || Array.isArray(api)) {
    throw new TypeError(`prebounce.attach: options.api must be { endpoint, key, timeoutMs? }, got ${describe(api)}`);
  }
  const { endpoint, key, timeoutMs = DEFAULT_TIMEOUT_MS } = api;
  if (typeof endpoint !== 'string' || endpoint.trim() === '') {
    throw new TypeError(`prebounce.attach: options.api.endpoint must be the edge API's base URL, got ${describe(endpoint)}`);
  }
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`prebounce.attach: options.api.key must be a publishable key (pk_...), got ${describe(key)}`);
  }
  if (key.startsWith('sk_')) {
    throw new Error('prebounce.attach: options.api.key is a secret key (sk_...); a web page must only ever hold a publishable key (pk_...)');
  }
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    throw new TypeError(`prebounce.attach: options.api.timeoutMs must be a positive number of milliseconds, got ${describe(timeoutMs)}`);
  }
  return { endpoint: endpoint.trim().replace(/\/+$/, ''), key, timeoutMs };
}

/** True for an <input> of any window (iframes have their own HTMLInputElement). */
function isInputElement(value) {
  if (value === null || typeof value !== 'object') return false;
  const Input = value.ownerDocument?.defaultView?.HTMLInputElement ?? globalThis.HTMLInputElement;
  return typeof Input === 'function' && value instanceof Input;
}

function isElement(value, view) {
  return value !== null && typeof value === 'object' && typeof view.HTMLElement === 'function' && value instanceof view.HTMLElement;
}

/** Sets the value the way a user would, so React's value tracker sees the change. */
function setValue(input, value) {
  const setter = Object.getOwnPropertyDescriptor(input.ownerDocument.defaultView.HTMLInputElement.prototype, 'value')?.set;
  if (setter) setter.call(input, value);
  else input.value = value;
}

function setData(element, name, value) {
  if (value === null) delete element.dataset[name];
  else element.dataset[name] = value;
}

function restoreAttribute(element, name, value) {
  if (value === null) element.removeAttribute(name);
  else element.setAttribute(name, value);
}

function uniqueId(doc, wanted) {
  let id = wanted;
  for (let i = 2; doc.getElementById(id) !== null; i += 1) id = `${wanted}-${i}`;
  return id;
}

function reportError(view, e) {
  if (typeof view.reportError === 'function') view.reportError(e);
  else setTimeout(() => { throw e; });
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
