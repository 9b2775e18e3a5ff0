// Browser test of the form helper (crates/wasm/js/form.js) and the demo page
// (www/form.html), in headless Debian Chromium driven by playwright-core.
//
//   bash scripts/install-chromium.sh && bash crates/wasm/build.sh
//   node --test tests/browser/
//
// Skipped when /usr/bin/chromium is missing, unless CI is set (then it fails).
// Screenshots of the main states go to tests/browser/screenshots/.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { skip, launchChromium } from './chromium.mjs';
import { startServer, PKG_DIR } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(here, 'screenshots');
const KEY = 'pk_test_form_demo';

describe('form helper in headless Chromium', { skip, timeout: 180_000 }, () => {
  let server = null;
  let browser = null;
  let context = null;
  let pages = [];

  before(async () => {
    const form = path.join(PKG_DIR, 'form.js');
    if (!existsSync(form)) {
      throw new Error(`${PKG_DIR} has no built package: run crates/wasm/build.sh first`);
    }
    if (readFileSync(form, 'utf8').includes('not available in this build')) {
      throw new Error(`${form} is the old stub: rebuild with crates/wasm/build.sh`);
    }
    await mkdir(SHOTS, { recursive: true });
    server = await startServer();
    browser = await launchChromium({ width: 800, height: 900 });
    context = browser.context;
    context.setDefaultTimeout(10_000);
  });

  after(async () => {
    // Both steps run even when the first throws.
    try {
      if (browser) await browser.close();
    } finally {
      if (server) await server.close();
    }
  });

  afterEach(async () => {
    const open = pages;
    pages = [];
    await Promise.all(open.map((p) => p.close().catch(() => {})));
  });

  /** A new page with its uncaught errors collected in page.errors. */
  async function newPage() {
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e));
    page.on('console', (m) => {
      // The browser itself logs the fake API's failures (500s) it was asked to answer.
      if (m.type() !== 'error' || m.location().url.startsWith(server.apiUrl)) return;
      page.errors.push(new Error(`console: ${m.text()} (${m.location().url})`));
    });
    pages.push(page);
    return page;
  }

  async function openDemo({ api = false } = {}) {
    const page = await newPage();
    await page.goto(`${server.url}/form.html`);
    await page.waitForSelector('html[data-ready="true"]');
    if (api) {
      await page.fill('#api-endpoint', server.apiUrl);
      await page.fill('#api-key', KEY);
      await page.locator('#api-key').press('Tab'); // `change` re-attaches with the API
      await page.waitForFunction(() => document.getElementById('api-status').textContent.startsWith('Deep check on'));
    }
    return page;
  }

  async function openBlank() {
    const page = await newPage();
    await page.goto(`${server.url}/blank.html`);
    return page;
  }

  /** Clears the field, then types `text` key by key. */
  async function typeEmail(page, text, selector = '#email') {
    const field = page.locator(selector);
    await field.fill('');
    await field.pressSequentially(text);
  }

  function fieldState(page, selector = '#email') {
    return page.evaluate((sel) => {
      const input = document.querySelector(sel);
      const message = document.getElementById(
        (input.getAttribute('aria-describedby') ?? '').split(' ').find((id) => id.includes('prebounce')) ?? '',
      );
      const live = document.querySelector('.prebounce-live');
      const button = document.querySelector('.prebounce-suggestion');
      return {
        value: input.value,
        valid: input.validity.valid,
        customError: input.validity.customError,
        validationMessage: input.validationMessage,
        ariaInvalid: input.getAttribute('aria-invalid'),
        describedBy: input.getAttribute('aria-describedby'),
        messageShown: message !== null && !message.hidden && message.offsetParent !== null,
        messageText: message?.textContent.trim() ?? null,
        messageStatus: message?.dataset.prebounceStatus ?? null,
        live: live?.textContent ?? null,
        liveAttr: live?.getAttribute('aria-live') ?? null,
        button: button?.textContent ?? null,
        focused: document.activeElement?.id || document.activeElement?.className || null,
        submits: window.demo ? window.demo.submits.length : null,
        lastVerdict: window.demo ? window.demo.verdicts.at(-1) ?? null : null,
      };
    }, selector);
  }

  /** The package's own verdict for `address`, computed in the page. */
  function localVerdict(page, address) {
    return page.evaluate(async (a) => (await import('/pkg/index.js')).check(a), address);
  }

  function shot(page, name) {
    return page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  function waitFor(page, fn, arg) {
    return page.waitForFunction(fn, arg);
  }

  async function until(condition, what, ms = 5000) {
    const end = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const messageShown = () => {
    const m = document.querySelector('.prebounce-message');
    return m !== null && !m.hidden;
  };

  test('the demo loads the module and the full disposable list, then attaches', async () => {
    const page = await openDemo();
    const note = await page.textContent('#loading');
    assert.match(note, /^Ready: [\d,]+ disposable domains known\.$/);
    const s = await fieldState(page);
    assert.equal(s.describedBy, 'email-hint email-prebounce-message', 'the message id joins the existing aria-describedby');
    assert.equal(s.liveAttr, 'polite');
    assert.equal(s.messageShown, false);
    assert.equal(s.valid, false, 'an empty required field is invalid...');
    assert.equal(s.customError, false, '...through `required`, not a custom error');
    const status = await page.evaluate(async () => (await import('/pkg/index.js')).disposableStatus());
    assert.equal(status.fullLoaded, true);
    assert.deepEqual(page.errors, []);
  });

  test('an invalid address blocks submit with the verdict message; a valid one submits', async () => {
    const page = await openDemo();
    // The browser's own type=email check accepts this; prebounce does not.
    const address = 'john@example';
    const expected = (await localVerdict(page, address)).message;
    assert.match(expected, /dot/);
    await typeEmail(page, address);
    let s = await fieldState(page);
    assert.equal(s.validationMessage, expected, 'the custom validity follows every keystroke');
    assert.equal(s.valid, false);
    // While typing, an invalid message is held back (the address is likely unfinished).
    await page.waitForTimeout(450);
    s = await fieldState(page);
    assert.equal(s.messageShown, false);
    // Enter submits implicitly: the browser's validation blocks it and fires `invalid`.
    await page.locator('#email').press('Enter');
    await waitFor(page, messageShown);
    s = await fieldState(page);
    assert.equal(s.submits, 0, 'the submit event did not fire');
    assert.equal(s.messageText, expected);
    assert.equal(s.messageStatus, 'invalid');
    assert.equal(s.ariaInvalid, 'true');
    assert.equal(s.live, expected, 'announced through the live region');
    assert.equal(await page.evaluate(() => document.getElementById('signup').checkValidity()), false);
    await shot(page, 'invalid');

    // The same with the submit button.
    await page.click('#submit');
    assert.equal((await fieldState(page)).submits, 0);

    await typeEmail(page, 'jane.doe@example.com');
    s = await fieldState(page);
    assert.equal(s.validationMessage, '');
    assert.equal(s.valid, true);
    assert.equal(await page.evaluate(() => document.getElementById('signup').checkValidity()), true);
    await page.click('#submit');
    s = await fieldState(page);
    assert.equal(s.submits, 1, 'a valid address submits');
    assert.equal(s.messageShown, false);
    assert.equal(s.ariaInvalid, null);
    assert.equal(s.live, '', 'the live region is cleared');
    assert.match(await page.textContent('#result'), /Signed up as jane\.doe@example\.com/);
    assert.deepEqual(page.errors, []);
  });

  test('an empty field is left to the required attribute', async () => {
    const page = await openDemo();
    await typeEmail(page, 'x');
    await page.locator('#email').press('Tab');
    await waitFor(page, messageShown);
    await page.fill('#email', '');
    const s = await fieldState(page);
    assert.equal(s.customError, false);
    assert.equal(s.valid, false, 'required still blocks');
    assert.equal(s.messageShown, false);
    assert.equal(s.live, '');
    assert.equal(s.lastVerdict, null, 'onVerdict hears null for an emptied field');
  });

  test('a message appearing on blur does not steal the click that caused the blur', async () => {
    const page = await openDemo();
    // Typed and clicked at once: the warning first shows as the field loses
    // focus, which moves the button down between mouse-down and mouse-up.
    await typeEmail(page, 'x@mailinator.com');
    await page.click('#submit');
    await waitFor(page, messageShown);
    const s = await fieldState(page);
    assert.equal(s.submits, 1, 'the risky (allowed) address was submitted by the first click');
    assert.equal(s.messageStatus, 'risky');
    // And the same for a click on the settings checkbox.
    await typeEmail(page, 'john@gmial.com');
    await page.check('#block-risky');
    assert.match((await fieldState(page)).validationMessage, /did you mean/);
  });

  test('a typo offers "Did you mean …?"; the button fixes the field and returns focus', async () => {
    const page = await openDemo();
    await typeEmail(page, 'john@gmial.com');
    // Shown while typing, after the debounce.
    await page.waitForSelector('.prebounce-suggestion');
    let s = await fieldState(page);
    assert.equal(s.button, 'Did you mean john@gmail.com?');
    assert.equal(s.messageStatus, 'risky');
    assert.equal(s.valid, true, 'a typo is risky: not blocked by default');
    assert.match(s.live, /did you mean john@gmail\.com\?/);
    const button = page.locator('.prebounce-suggestion');
    assert.equal(await button.getAttribute('type'), 'button');
    // Keyboard: Tab reaches the button, with a visible focus indicator.
    await page.locator('#email').press('Tab');
    s = await fieldState(page);
    assert.equal(s.focused, 'prebounce-suggestion');
    const focus = await button.evaluate((b) => {
      const style = getComputedStyle(b);
      return { visible: b.matches(':focus-visible'), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
    assert.equal(focus.visible, true);
    assert.notEqual(focus.outline, 'none');
    assert.ok(focus.width >= 2, `focus outline ${focus.width}px`);
    await shot(page, 'typo-suggestion');
    await page.evaluate(() => {
      window.seen = [];
      const input = document.getElementById('email');
      for (const type of ['input', 'change']) input.addEventListener(type, () => window.seen.push(type));
    });
    await page.keyboard.press('Enter');
    s = await fieldState(page);
    assert.equal(s.value, 'john@gmail.com');
    assert.equal(s.focused, 'email', 'focus is back on the field');
    assert.equal(s.button, null, 'the button is gone');
    assert.equal(s.messageShown, false);
    assert.equal(s.lastVerdict.status, 'valid', 're-checked at once');
    assert.equal(s.live, '');
    assert.deepEqual(await page.evaluate(() => window.seen), ['input', 'change'], 'frameworks hear of the new value');
    assert.deepEqual(page.errors, []);
  });

  test('the live region announces each new message once', async () => {
    const page = await openDemo();
    await page.evaluate(() => {
      window.announced = [];
      const live = document.querySelector('.prebounce-live');
      new MutationObserver(() => window.announced.push(live.textContent))
        .observe(live, { childList: true, characterData: true, subtree: true });
    });
    await typeEmail(page, 'a@b');
    await page.locator('#email').press('Tab'); // leaving the field shows the held-back message
    await waitFor(page, messageShown);
    const dot = (await localVerdict(page, 'a@b')).message;
    await page.locator('#email').focus();
    await page.locator('#email').press('End');
    await page.locator('#email').pressSequentially('cd'); // a@bcd: the same message
    await page.waitForTimeout(450);
    await page.locator('#email').press('Tab');
    assert.deepEqual(await page.evaluate(() => window.announced), [dot], 'the same text is not announced again');
    await page.fill('#email', 'a@bcd.com'); // one input event: no intermediate message on a slow machine
    await waitFor(page, () => !document.querySelector('.prebounce-message').dataset.prebounceStatus);
    await page.fill('#email', 'someone@mailinator.com'); // one input event
    await waitFor(page, () => document.querySelector('.prebounce-live').textContent !== '');
    const disposable = (await localVerdict(page, 'someone@mailinator.com')).message;
    assert.deepEqual(await page.evaluate(() => window.announced), [dot, '', disposable]);
  });

  test('a disposable address is risky: allowed by default, blocked with the toggle', async () => {
    const page = await openDemo();
    const verdict = await localVerdict(page, 'x@mailinator.com');
    assert.equal(verdict.status, 'risky');
    assert.equal(verdict.reason, 'disposable');
    await typeEmail(page, 'x@mailinator.com');
    await waitFor(page, messageShown);
    let s = await fieldState(page);
    assert.equal(s.messageText, verdict.message, 'the warning shows');
    assert.equal(s.messageStatus, 'risky');
    assert.equal(s.valid, true);
    assert.equal(s.ariaInvalid, null);
    await page.click('#submit');
    assert.equal((await fieldState(page)).submits, 1, 'allowed by default');

    await page.check('#block-risky');
    s = await fieldState(page);
    assert.equal(s.validationMessage, verdict.message, 'blocked with the toggle');
    assert.equal(s.ariaInvalid, 'true');
    await page.click('#submit');
    s = await fieldState(page);
    assert.equal(s.submits, 1, 'the submit event did not fire again');
    assert.equal(await page.evaluate(() => document.getElementById('signup').checkValidity()), false);
    await page.waitForTimeout(300); // the browser's own bubble (our message) fades in
    await shot(page, 'risky-blocked');

    // A typo is risky too.
    await typeEmail(page, 'john@gmial.com');
    assert.match((await fieldState(page)).validationMessage, /did you mean john@gmail\.com/);

    await page.uncheck('#block-risky');
    s = await fieldState(page);
    assert.equal(s.validationMessage, '');
    assert.equal(s.valid, true);
    assert.deepEqual(page.errors, []);
  });

  test('deep check: the edge API verdict replaces the local one and blocks mailbox_disabled', async () => {
    const page = await openDemo({ api: true });
    const before = server.requests.length;
    await typeEmail(page, 'disabled@example.com');
    let s = await fieldState(page);
    assert.equal(s.valid, true, 'locally valid');
    assert.equal(server.requests.length, before, 'nothing is sent while typing');
    await page.locator('#email').press('Tab');
    await waitFor(page, () => document.getElementById('email').validationMessage !== '');
    s = await fieldState(page);
    assert.equal(s.validationMessage, 'The mail server says this mailbox has been disabled.');
    assert.equal(s.messageStatus, 'invalid');
    assert.equal(s.ariaInvalid, 'true');
    assert.equal(s.live, 'The mail server says this mailbox has been disabled.');
    assert.equal(s.lastVerdict.reason, 'mailbox_disabled');
    assert.equal(s.lastVerdict.depth, 'smtp');
    const sent = server.requests.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].path, '/v1/check');
    assert.equal(sent[0].email, 'disabled@example.com');
    assert.equal(sent[0].authorization, `Bearer ${KEY}`);
    assert.equal(sent[0].origin, server.url, 'a cross-origin request (CORS preflight passed)');
    await page.click('#submit');
    assert.equal((await fieldState(page)).submits, 0, 'the deeper invalid verdict blocks submit');
    await shot(page, 'deep-mailbox-disabled');
    // Leaving the field again asks nothing new: the answer is kept for this value.
    await page.locator('#email').focus();
    await page.locator('#email').press('Tab');
    await page.waitForTimeout(200);
    assert.equal(server.requests.length, before + 1);
    assert.equal((await fieldState(page)).validationMessage, 'The mail server says this mailbox has been disabled.');
    // A new value goes back to the local verdict.
    await typeEmail(page, 'fine@example.com');
    s = await fieldState(page);
    assert.equal(s.valid, true);
    assert.deepEqual(page.errors, []);
  });

  test('deep check: an unknown verdict shows but does not block', async () => {
    const page = await openDemo({ api: true });
    await typeEmail(page, 'unknown@example.com');
    await page.locator('#email').press('Tab');
    await waitFor(page, () => document.querySelector('.prebounce-message').dataset.prebounceStatus === 'unknown');
    const s = await fieldState(page);
    assert.equal(s.valid, true);
    assert.match(s.messageText, /could not be reached/);
  });

  test('deep check: a failure degrades silently to the local verdict', async () => {
    const page = await openDemo({ api: true });
    for (const address of ['error@example.com', 'badjson@example.com', 'notverdict@example.com']) {
      const before = server.requests.length;
      await typeEmail(page, address);
      await page.locator('#email').press('Tab');
      await until(() => server.requests.length > before && server.requests.at(-1).answered, `the API call for ${address}`);
      await waitFor(page, () => !('prebouncePending' in document.getElementById('email').dataset));
      const s = await fieldState(page);
      assert.equal(s.valid, true, address);
      assert.equal(s.messageShown, false, address);
      assert.equal(s.lastVerdict.depth, 'syntax', `${address}: the local verdict stands`);
      await page.locator('#email').focus();
    }
    assert.deepEqual(page.errors, [], 'no unhandled rejection or console error');
  });

  test('deep check: a stale request is cancelled when the value changes', async () => {
    const page = await openDemo({ api: true });
    const before = server.requests.length;
    await typeEmail(page, 'slow@example.com');
    await page.locator('#email').press('Tab');
    await until(() => server.requests.length > before, 'the slow API call');
    const slow = server.requests[before];
    assert.equal(slow.email, 'slow@example.com');
    assert.equal(await page.getAttribute('#email', 'data-prebounce-pending'), '');
    await typeEmail(page, 'other@example.com'); // the first keystroke changes the value
    await until(() => slow.aborted, 'the stale request to be aborted');
    assert.equal(slow.answered, false);
    await waitFor(page, () => window.demo.verdicts.at(-1)?.input === 'other@example.com');
    const s = await fieldState(page);
    assert.equal(s.lastVerdict.input, 'other@example.com');
    assert.equal(s.lastVerdict.depth, 'syntax');
    assert.equal(await page.getAttribute('#email', 'data-prebounce-pending'), null);
    assert.deepEqual(page.errors, []);
  });

  test('attach() checks its arguments and wants init() first; a timed-out deep check keeps the local verdict', async () => {
    const page = await openBlank();
    const result = await page.evaluate(async ({ apiUrl }) => {
      const m = await import('/pkg/index.js');
      const out = {};
      const input = document.createElement('input');
      input.type = 'email';
      document.body.append(input);
      const attempt = (f) => {
        try { f(); return null; } catch (e) { return { name: e.name, message: e.message }; }
      };
      out.beforeInit = attempt(() => m.attach(input));
      out.notInputBeforeInit = attempt(() => m.attach(document.createElement('div')));
      await m.init();
      out.notInput = attempt(() => m.attach(document.createElement('textarea')));
      out.nothing = attempt(() => m.attach(null));
      out.secretKey = attempt(() => m.attach(input, { api: { endpoint: apiUrl, key: 'sk_live_x' } }));
      out.badOption = attempt(() => m.attach(input, { options: { allow_everything: true } }));
      out.describedByAfterErrors = input.getAttribute('aria-describedby');

      // The deep check with a short timeout, against a route that never answers.
      const verdicts = [];
      const a = m.attach(input, { api: { endpoint: apiUrl + '/', key: 'pk_t', timeoutMs: 300 }, onVerdict: (v) => verdicts.push(v) });
      input.value = 'hang@example.com';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.focus();
      input.blur();
      out.pendingAtOnce = 'prebouncePending' in input.dataset;
      await new Promise((r) => setTimeout(r, 700));
      out.pendingLater = 'prebouncePending' in input.dataset;
      out.verdictAfterTimeout = { status: a.verdict.status, depth: a.verdict.depth };
      out.verdicts = verdicts.map((v) => v && v.depth);
      a.detach();
      return out;
    }, { apiUrl: server.apiUrl });
    assert.equal(result.beforeInit.name, 'Error');
    assert.match(result.beforeInit.message, /await init\(\)/);
    assert.equal(result.notInputBeforeInit.name, 'TypeError');
    assert.equal(result.notInput.name, 'TypeError');
    assert.match(result.notInput.message, /HTMLInputElement/);
    assert.equal(result.nothing.name, 'TypeError');
    assert.equal(result.secretKey.name, 'Error');
    assert.match(result.secretKey.message, /secret key/);
    assert.equal(result.badOption.name, 'TypeError');
    assert.equal(result.describedByAfterErrors, null, 'a failed attach changes nothing');
    assert.equal(result.pendingAtOnce, true);
    assert.equal(result.pendingLater, false);
    assert.deepEqual(result.verdictAfterTimeout, { status: 'valid', depth: 'syntax' });
    assert.deepEqual(result.verdicts, ['syntax']);
    const hang = server.requests.findLast((r) => r.email === 'hang@example.com');
    assert.ok(hang, 'the request was sent (trailing slash of the endpoint dropped)');
    assert.equal(hang.path, '/v1/check');
    await until(() => hang.aborted, 'the timed-out request to be aborted');
  });

  test('option names go to the edge API as query parameters', async () => {
    const page = await openBlank();
    await page.evaluate(async ({ apiUrl }) => {
      const m = await import('/pkg/index.js');
      await m.init();
      const input = document.createElement('input');
      document.body.append(input);
      const a = m.attach(input, { options: { role_is_risky: true, allow_smtputf8: false }, api: { endpoint: apiUrl, key: 'pk_q' } });
      input.value = 'zoe+tag@example.com';
      input.dispatchEvent(new Event('input'));
      input.focus();
      input.blur();
      await new Promise((r) => setTimeout(r, 300));
      a.detach();
    }, { apiUrl: server.apiUrl });
    const sent = server.requests.findLast((r) => r.authorization === 'Bearer pk_q');
    assert.deepEqual(sent.query, { email: 'zoe+tag@example.com', role_is_risky: 'true', allow_smtputf8: 'false' });
  });

  test('messageElement: the caller\'s element is used and left as found', async () => {
    const page = await openBlank();
    const r = await page.evaluate(async () => {
      const m = await import('/pkg/index.js');
      await m.init();
      document.body.innerHTML = '<form><input id="e" type="email" aria-describedby="h"><p id="h">hint</p><div class="mine"></div></form>';
      const input = document.getElementById('e');
      const box = document.querySelector('.mine');
      const a = m.attach(input, { messageElement: box, debounce: 0 });
      input.value = 'bob@hotmial.com';
      input.dispatchEvent(new Event('input'));
      await new Promise((r) => setTimeout(r, 50));
      const during = {
        describedBy: input.getAttribute('aria-describedby'),
        boxId: box.id,
        boxText: box.textContent,
        created: document.querySelectorAll('.prebounce-message').length,
        live: document.querySelector('body > .prebounce-live')?.textContent,
      };
      a.detach();
      return {
        during,
        after: {
          describedBy: input.getAttribute('aria-describedby'),
          box: box.outerHTML,
          live: document.querySelectorAll('.prebounce-live').length,
        },
      };
    });
    assert.equal(r.during.describedBy, `h ${r.during.boxId}`);
    assert.match(r.during.boxText, /Did you mean bob@hotmail\.com\?/);
    assert.equal(r.during.created, 0, 'no element of its own');
    assert.match(r.during.live, /hotmail\.com/);
    assert.equal(r.after.describedBy, 'h');
    assert.equal(r.after.box, '<div class="mine"></div>');
    assert.equal(r.after.live, 0);
  });

  test('a form reset clears the custom validity', async () => {
    const page = await openBlank();
    const r = await page.evaluate(async () => {
      const m = await import('/pkg/index.js');
      await m.init();
      document.body.innerHTML = '<form><input id="e" type="email" value="a@b.example"><button type="reset">Reset</button></form>';
      const input = document.getElementById('e');
      const a = m.attach(input, { debounce: 0 });
      input.value = 'bad@';
      input.dispatchEvent(new Event('input'));
      const before = input.validationMessage;
      document.querySelector('button').click();
      await new Promise((r) => setTimeout(r, 20));
      const after = { value: input.value, valid: input.validity.valid, verdict: a.verdict.status };
      a.detach();
      return { before, after };
    });
    assert.notEqual(r.before, '');
    assert.deepEqual(r.after, { value: 'a@b.example', valid: true, verdict: 'valid' });
  });

  test('detach() removes listeners, elements, timers, requests and the custom validity', async () => {
    const page = await openDemo({ api: true });
    await page.check('#block-risky');
    await typeEmail(page, 'john@gmial.com');
    await page.waitForSelector('.prebounce-suggestion');
    let s = await fieldState(page);
    assert.notEqual(s.validationMessage, '');
    // A deep check in flight, and a debounce timer pending, when detach() runs.
    const before = server.requests.length;
    await typeEmail(page, 'slow@example.com');
    await page.locator('#email').press('Tab');
    await until(() => server.requests.length > before, 'the slow API call');
    const slow = server.requests[before];
    const counted = await page.evaluate(() => {
      const input = document.getElementById('email');
      input.dispatchEvent(new Event('input', { bubbles: true })); // same value: a debounce timer, the request stays
      const n = window.demo.verdicts.length;
      window.demo.attachment.detach();
      window.demo.attachment.detach(); // twice is fine
      return n;
    });
    await until(() => slow.aborted, 'the in-flight request to be aborted');
    await typeEmail(page, 'not an address');
    await page.locator('#email').press('Tab');
    await page.waitForTimeout(450);
    s = await fieldState(page);
    assert.equal(await page.evaluate(() => window.demo.verdicts.length), counted, 'no verdict after detach');
    assert.equal(s.customError, false, 'custom validity cleared');
    assert.equal(s.describedBy, 'email-hint', 'aria-describedby restored');
    assert.equal(s.ariaInvalid, null);
    assert.equal(await page.evaluate(() => document.getElementById('email').dataset.prebounceStatus), undefined);
    assert.equal(await page.locator('.prebounce-message, .prebounce-live, .prebounce-suggestion').count(), 0, 'added elements removed');
    assert.equal(server.requests.length, before + 1, 'no request after detach');
    assert.deepEqual(page.errors, []);
  });

  test('the page works at phone width', async () => {
    const page = await openDemo();
    await page.setViewportSize({ width: 360, height: 740 });
    await typeEmail(page, 'maria.gonzalez@yaho.com');
    await page.waitForSelector('.prebounce-suggestion');
    const layout = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      width: document.documentElement.clientWidth,
      input: document.getElementById('email').getBoundingClientRect().width,
      button: document.querySelector('.prebounce-suggestion').getBoundingClientRect().right,
    }));
    assert.ok(layout.scroll <= layout.width, `no sideways scroll (${layout.scroll} > ${layout.width})`);
    assert.ok(layout.input > 250, 'the field uses the width');
    assert.ok(layout.button <= layout.width, 'the suggestion fits');
    await shot(page, 'phone');
  });
});
