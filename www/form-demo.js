// The signup-form demo: load the module and the full disposable list, then
// attach the form helper to the email field. Settings re-attach it.
import { init, loadDisposableData, disposableStatus, attach } from '/pkg/index.js';

const $ = (id) => document.getElementById(id);
const form = $('signup');
const email = $('email');
const loading = $('loading');
const result = $('result');
const blockRisky = $('block-risky');
const endpoint = $('api-endpoint');
const key = $('api-key');
const apiStatus = $('api-status');
const verdictLine = $('verdict');

// For the browser test and the curious: the live attachment and what it did.
const demo = { attachment: null, verdicts: [], submits: [] };
window.demo = demo;

function apiSettings() {
  const url = endpoint.value.trim();
  const k = key.value.trim();
  if (url === '' || k === '') return null;
  return { endpoint: url, key: k };
}

function showVerdict(verdict) {
  demo.verdicts.push(verdict);
  if (verdict === null) {
    verdictLine.hidden = true;
    return;
  }
  const where = verdict.depth === 'syntax' ? 'in this browser' : `by the edge API (${verdict.depth})`;
  verdictLine.textContent = `Verdict: ${verdict.status} (${verdict.reason}), checked ${where}.`;
  verdictLine.hidden = false;
}

function connect() {
  result.textContent = '';
  const api = apiSettings();
  try {
    demo.attachment = attach(email, {
      blockRisky: blockRisky.checked,
      api: api ?? undefined,
      onVerdict: showVerdict,
    });
  } catch (e) {
    // A secret key, say: keep checking locally and say why.
    demo.attachment = attach(email, { blockRisky: blockRisky.checked, onVerdict: showVerdict });
    apiStatus.textContent = `Deep check off: ${e.message.replace(/^prebounce\.attach: /, '')}`;
    return;
  }
  apiStatus.textContent = api === null
    ? 'Deep check off: addresses stay in this browser.'
    : `Deep check on: addresses are sent to ${api.endpoint} when you leave the field.`;
}

form.addEventListener('submit', (event) => {
  event.preventDefault(); // a demo: nothing is sent anywhere
  demo.submits.push(email.value);
  result.textContent = `Signed up as ${email.value.trim()} (demo: nothing was sent).`;
});
email.addEventListener('input', () => { result.textContent = ''; });
blockRisky.addEventListener('change', connect);
endpoint.addEventListener('change', connect);
key.addEventListener('change', connect);

try {
  await init();
  try {
    const { full } = await loadDisposableData();
    loading.textContent = `Ready: ${full.toLocaleString('en')} disposable domains known.`;
  } catch {
    const { curated } = disposableStatus();
    loading.textContent = `Ready, with the built-in list of ${curated.toLocaleString('en')} disposable domains (the full list did not load).`;
  }
  connect();
  document.documentElement.dataset.ready = 'true';
} catch (e) {
  loading.textContent = `The address checker could not load (${e.message}); the browser's own checks still apply.`;
  loading.classList.add('error');
  document.documentElement.dataset.ready = 'error';
}
