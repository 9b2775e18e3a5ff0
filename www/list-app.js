// The list checker page (main thread). The worker (list-worker.js) reads,
// parses and checks; this side keeps the per-row codes it transfers (one
// byte a row each), draws the progress, the counts and a virtualized table
// (only the visible rows are in the DOM, their text fetched from the worker),
// and applies the filters.
import { STATUSES, REASONS, FLAGS } from '/pkg/index.js';

const $ = (id) => document.getElementById(id);
const ROW_HEIGHT = 36; // px; list.css's --row-height
const MAX_SCROLL_PX = 8_000_000; // beyond this the scroll position is scaled
const OVERSCAN = 6;
const FLAG_NAMES = Object.keys(FLAGS);
const fmt = new Intl.NumberFormat('en');

const STATUS_TEXT = { valid: 'Valid', invalid: 'Invalid', risky: 'Risky', unknown: 'Unknown' };
const STATUS_ICON = { valid: '\u2714', invalid: '\u2716', risky: '\u26A0', unknown: '?' };
const REASON_TEXT = {
  ok: 'OK', invalid_syntax: 'Not a valid address', suppressed: 'Suppressed', no_such_domain: 'No such domain',
  null_mx: 'Domain takes no mail', no_mail_server: 'No mail server', does_not_exist: 'Mailbox does not exist',
  mailbox_disabled: 'Mailbox disabled', disposable: 'Disposable service', possible_typo: 'Likely typo',
  mailbox_full: 'Mailbox full', catch_all: 'Catch-all domain', role_account: 'Role account',
  dns_error: 'DNS error', smtp_unavailable: 'Mail server unreachable', temporary_failure: 'Temporary failure',
  blocked: 'Check blocked', rejected: 'Rejected',
};
// The deepest check that ran (DESIGN's depth): the browser's own, or the edge API's.
const DEPTH_TEXT = { syntax: 'Syntax', dns: 'DNS', smtp: 'SMTP' };
// How the worker decoded the file (pasted text needs no decoding).
const ENCODING_TEXT = {
  'utf-8': 'UTF-8', 'utf-16le': 'UTF-16 (little-endian)', 'utf-16be': 'UTF-16 (big-endian)', 'windows-1252': 'Windows-1252',
};
const FLAG_TEXT = { disposable: 'Disposable', role: 'Role account', free: 'Free provider', smtputf8: 'Non-ASCII (SMTPUTF8)' };

const worker = new Worker(new URL('./list-worker.js', import.meta.url), { type: 'module' });

/** Everything the page knows; window.listApp for the tests and the curious. */
const app = {
  ready: false,
  disposable: null,
  job: 0,
  state: 'empty', // empty | reading | checking | done | cancelled | error
  source: null, // { file } or { text }
  name: '',
  head: null,
  rows: 0,
  status: new Uint8Array(0),
  reason: new Uint8Array(0),
  flags: new Uint8Array(0),
  errors: new Uint8Array(0),
  byStatus: new Array(STATUSES.length).fill(0),
  byReason: new Array(REASONS.length).fill(0),
  byFlag: new Array(FLAG_NAMES.length).fill(0),
  done: null,
  error: null,
  view: null, // Uint32Array of the rows shown, or null for all
  search: { query: '', matches: null },
  timing: {},
  chunks: 0,
  applied: 0, // suggestions applied
  cursor: -1, // the row the keyboard (or a click) is on, described under the table; -1: none
  progress: { done: 0, total: 1 },
  deep: null, // { state: running | done | cancelled | error, done, total, depths: Map row -> depth, byDepth, waits, error }
  export: null, // { req, kind, button, state: running | done | cancelled | error, updates, done (fraction) }
};
window.listApp = app;

// ---------------------------------------------------------------------------
// Input

const drop = $('drop');
const fileInput = $('file');

fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) start({ file });
});

for (const type of ['dragenter', 'dragover']) {
  drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add('over');
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
}
drop.addEventListener('dragleave', (event) => {
  if (!drop.contains(event.relatedTarget)) drop.classList.remove('over');
});
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.length === 0) {
    const text = event.dataTransfer?.getData('text/plain');
    if (text) start({ text });
    return;
  }
  if (files.length > 1) {
    showError(`Drop one file at a time (${files.length} were dropped).`);
    return;
  }
  start({ file: files[0] });
});
// A file dropped beside the zone would make the browser navigate away to it.
for (const type of ['dragover', 'drop']) {
  window.addEventListener(type, (event) => {
    if (!drop.contains(event.target)) event.preventDefault();
  });
}

$('paste-check').addEventListener('click', () => {
  const text = $('paste').value;
  if (text.trim() === '') {
    showError('Paste some addresses first.');
    $('paste').focus();
    return;
  }
  start({ text });
});

$('column').addEventListener('change', () => {
  if (app.source) start(app.source, { column: Number($('column').value) });
});

// Exports: the worker builds the file as a Blob, a batch of rows at a time,
// reporting progress (the annotated CSV of a million rows takes seconds); it
// is downloaded here. A new request replaces one being made.
let exportReq = 0;
for (const button of document.querySelectorAll('[data-export]')) {
  button.addEventListener('click', () => {
    if (app.state !== 'done' && app.state !== 'cancelled') return;
    let kind = button.dataset.export;
    if (kind === 'clean') kind = document.querySelector('input[name="clean-kind"]:checked')?.value ?? 'clean';
    exportReq += 1;
    app.export = { req: exportReq, kind, button: button.id, state: 'running', updates: 0, done: 0 };
    $('export-status').textContent = 'Preparing the file…';
    $('export-bar').value = 0;
    $('export-bar').hidden = false;
    $('export-cancel').hidden = false;
    worker.postMessage({ type: 'export', req: exportReq, job: app.job, kind, guard: $('export-guard').checked });
  });
}

$('export-cancel').addEventListener('click', () => {
  if (app.export?.state === 'running') worker.postMessage({ type: 'export-cancel', req: exportReq, job: app.job });
});

function onExportProgress(m) {
  if (m.req !== exportReq) return;
  app.export.updates += 1;
  app.export.done = m.done / Math.max(1, m.total);
  $('export-bar').value = app.export.done;
}

/** The bar and the cancel button go; the focus, if it was on the cancel button, returns to the export's own. */
function endExport(state, text) {
  app.export.state = state;
  const cancel = $('export-cancel');
  if (document.activeElement === cancel) $(app.export.button).focus();
  cancel.hidden = true;
  $('export-bar').hidden = true;
  $('export-status').textContent = text;
}

function onExported(m) {
  if (m.req !== exportReq) return;
  if (m.error) {
    endExport('error', `The file could not be made: ${m.error}`);
    return;
  }
  if (m.cancelled) {
    endExport('cancelled', 'Download cancelled.');
    return;
  }
  const url = URL.createObjectURL(m.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = m.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  endExport('done', `${m.name}: ${fmt.format(m.rows)} ${m.rows === 1 ? 'row' : 'rows'}, downloaded.`);
}

// Deep check: the worker sends the rows to the edge API; results merge here.
$('deep-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if ((app.state !== 'done' && app.state !== 'cancelled') || app.deep?.state === 'running') return;
  let options;
  try {
    options = JSON.parse($('deep-options').value.trim() || '{}');
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new Error('not an object');
  } catch (e) {
    $('deep-status').textContent = `The options are not a JSON object (${e.message}).`;
    $('deep-options').focus();
    return;
  }
  app.deep = { state: 'running', done: 0, total: 0, depths: new Map(), byDepth: {}, waits: 0, error: null };
  $('deep-start').disabled = true;
  $('deep-cancel').hidden = false;
  $('deep-cancel').disabled = false;
  $('deep-bar').hidden = false;
  $('deep-bar').removeAttribute('value');
  $('deep-status').textContent = 'Starting the deep check…';
  worker.postMessage({
    type: 'deep', job: app.job, endpoint: $('deep-endpoint').value.trim(), key: $('deep-key').value.trim(), options,
  });
});

$('deep-cancel').addEventListener('click', () => {
  worker.postMessage({ type: 'deep-cancel', job: app.job });
  $('deep-cancel').disabled = true;
  $('deep-status').textContent = 'Cancelling the deep check…';
});

function onDeepProgress(m) {
  if (!app.deep) return;
  Object.assign(app.deep, { done: m.done, total: m.total });
  if (m.waits) app.deep.waits = m.waits;
  $('deep-bar').max = Math.max(1, m.total);
  $('deep-bar').value = m.done;
  $('deep-status').textContent = m.waiting
    ? `${fmt.format(m.done)} of ${fmt.format(m.total)} rows deep-checked · the API asked to wait ${m.waiting} s (rate limit)…`
    : `${fmt.format(m.done)} of ${fmt.format(m.total)} rows deep-checked…`;
}

/** Rows checked again (by the deep check, an applied or undone suggestion): new codes, counts moved. */
function updateRows(m, each) {
  const n = m.ids.length;
  for (let k = 0; k < n; k++) {
    const i = m.ids[k];
    count(i, -1);
    app.status[i] = m.status[k];
    app.reason[i] = m.reason[k];
    app.flags[i] = m.flags[k];
    app.errors[i] = m.errors[k];
    count(i, +1);
    rowCache.delete(i);
    each?.(i, k);
  }
}

function onDeepChunk(m) {
  updateRows(m, (i, k) => {
    app.deep.depths.set(i, m.depth[k]);
    app.deep.byDepth[m.depth[k]] = (app.deep.byDepth[m.depth[k]] ?? 0) + 1;
  });
  scheduleRender();
}

function onDeepDone(m) {
  const d = app.deep;
  if (!d) return;
  d.state = m.error ? 'error' : m.cancelled ? 'cancelled' : 'done';
  d.error = m.error;
  Object.assign(d, { done: m.done, total: m.total });
  $('deep-start').disabled = false;
  $('deep-cancel').hidden = true;
  $('deep-bar').hidden = true;
  const depths = Object.entries(d.byDepth).map(([depth, n]) => `${fmt.format(n)} at depth ${depth}`).join(', ');
  const text = m.error
    ? `The deep check stopped: ${m.error}. ${fmt.format(m.done)} rows were checked before.`
    : `${m.cancelled ? 'Deep check cancelled' : 'Deep check done'}: ${fmt.format(m.done)} of ${fmt.format(m.total)} rows checked by the API${depths ? ` (${depths})` : ''}.`;
  $('deep-status').textContent = text;
  renderNow();
  announce(text);
}

$('cancel').addEventListener('click', () => {
  if (app.state !== 'reading' && app.state !== 'checking') return;
  worker.postMessage({ type: 'cancel', job: app.job });
  $('cancel').disabled = true;
  $('progress-text').textContent = 'Cancelling…';
});

/** Starts checking a file or pasted text (again, with `column`, after a column change). */
function start(source, { column } = {}) {
  app.job += 1;
  app.source = source;
  app.name = source.file ? source.file.name : 'pasted text';
  app.state = 'reading';
  app.head = null;
  app.rows = 0;
  app.chunks = 0;
  app.applied = 0;
  app.cursor = -1;
  app.done = null;
  app.error = null;
  app.view = null;
  app.search = { query: '', matches: null };
  app.byStatus.fill(0);
  app.byReason.fill(0);
  app.byFlag.fill(0);
  app.progress = { done: 0, total: 1 };
  app.deep = null;
  app.export = null; // one being made for the list before is dropped with it
  $('export-status').textContent = '';
  $('export-bar').hidden = true;
  $('export-cancel').hidden = true;
  $('deep-status').textContent = '';
  $('deep-start').disabled = false;
  $('deep-cancel').hidden = true;
  $('deep-bar').hidden = true;
  app.timing = { picked: performance.now() };
  rowCache.clear();
  pending.clear();
  hideError();
  $('f-status').value = '';
  $('f-reason').value = '';
  $('f-flag').value = '';
  $('f-search').value = '';
  if (column === undefined) $('setup').hidden = true;
  $('results').hidden = true;
  $('skip').hidden = true;
  $('progress').hidden = false;
  $('bar').value = 0;
  $('bar').removeAttribute('value'); // indeterminate while reading
  $('cancel').disabled = false;
  $('progress-title').textContent = `Reading ${app.name}`;
  $('progress-text').textContent = app.ready ? 'Reading the file…' : 'Loading the address checker…';
  announce(`Reading ${app.name}.`);
  document.documentElement.dataset.state = app.state;
  worker.postMessage({ type: 'load', job: app.job, file: source.file, text: source.text, column });
}

// ---------------------------------------------------------------------------
// Messages from the worker

worker.addEventListener('message', (event) => {
  const m = event.data;
  if (m.type === 'ready') {
    app.ready = true;
    app.disposable = m.disposable;
    const { full, curated, error } = m.disposable;
    $('loading').textContent = error
      ? `Ready, with the built-in list of ${fmt.format(curated)} disposable services (the full list did not load: ${error}).`
      : `Ready: ${fmt.format(full)} disposable domains known. Choose, drop or paste a list.`;
    document.documentElement.dataset.ready = 'true';
    return;
  }
  if (m.type === 'fatal') {
    $('loading').textContent = `The address checker could not load (${m.message}).`;
    $('loading').classList.add('error-text');
    document.documentElement.dataset.ready = 'error';
    return;
  }
  if (m.job !== app.job) return; // a list replaced since
  switch (m.type) {
    case 'head': onHead(m); break;
    case 'started': onStarted(); break;
    case 'chunk': onChunk(m); break;
    case 'done': onDone(m); break;
    case 'problem': onProblem(m); break;
    case 'rows': onRows(m); break;
    case 'search': onSearch(m); break;
    case 'applied': onApplied(m); break;
    case 'undone': onUndone(m); break;
    case 'export-progress': onExportProgress(m); break;
    case 'exported': onExported(m); break;
    case 'deep-progress': onDeepProgress(m); break;
    case 'deep-chunk': onDeepChunk(m); break;
    case 'deep-done': onDeepDone(m); break;
    default:
  }
});

function onHead(m) {
  app.head = m;
  const select = $('column');
  select.replaceChildren(...m.columns.map((name, i) => {
    const o = new Option(i === m.detected && m.format === 'csv' ? `${name} (detected)` : name, String(i));
    return o;
  }));
  select.value = String(m.column);
  select.disabled = m.format !== 'csv';
  const what = m.format === 'csv'
    ? `CSV, ${m.columns.length} column${m.columns.length === 1 ? '' : 's'}, ${m.delimiter === '\t' ? 'tab' : `"${m.delimiter}"`}-separated${m.hasHeader ? ', with a header' : ''}`
    : 'one address a line';
  const encoding = ENCODING_TEXT[m.encoding];
  $('source').textContent = `${app.name}: ${fmt.format(m.lines)} line${m.lines === 1 ? '' : 's'}, ${what}${encoding ? `; read as ${encoding}` : ''}.`;
  $('setup').hidden = false;
  $('column-field').hidden = m.format !== 'csv';
}

function onStarted() {
  app.state = 'checking';
  app.timing.started = performance.now();
  document.documentElement.dataset.state = app.state;
  $('progress-title').textContent = `Checking ${app.name}`;
  $('bar').value = 0;
  $('results').hidden = false;
  $('skip').hidden = false;
  setupTable();
}

function ensureCapacity(n) {
  if (n <= app.status.length) return;
  const size = Math.max(n, app.status.length * 2, 1024);
  for (const key of ['status', 'reason', 'flags', 'errors']) {
    const grown = new Uint8Array(size);
    grown.set(app[key].subarray(0, app.rows));
    app[key] = grown;
  }
}

function onChunk(m) {
  app.chunks += 1;
  app.progress = m.progress;
  if (m.count > 0) {
    ensureCapacity(m.from + m.count);
    app.status.set(m.status, m.from);
    app.reason.set(m.reason, m.from);
    app.flags.set(m.flags, m.from);
    app.errors.set(m.errors, m.from);
    for (let k = 0; k < m.count; k++) {
      app.byStatus[m.status[k]]++;
      app.byReason[m.reason[k]]++;
      const f = m.flags[k];
      if (f !== 0) for (let b = 0; b < FLAG_NAMES.length; b++) if (f & (1 << b)) app.byFlag[b]++;
    }
    app.rows = m.from + m.count;
  }
  if (app.timing.firstChunk === undefined) app.timing.firstChunk = performance.now();
  scheduleRender();
}

function onDone(m) {
  app.done = m;
  app.state = m.cancelled ? 'cancelled' : 'done';
  app.timing.done = performance.now();
  $('progress').hidden = !m.cancelled;
  if (m.cancelled) {
    $('progress-title').textContent = 'Cancelled';
    $('progress-text').textContent = `Cancelled: ${fmt.format(app.rows)} rows were checked before you stopped; their results are below.`;
    $('cancel').disabled = true;
  }
  renderNow();
  renderProblems();
  const seconds = ((app.timing.done - app.timing.picked) / 1000).toFixed(1);
  announce(m.cancelled
    ? `Cancelled after ${fmt.format(app.rows)} rows.`
    : `Done: ${fmt.format(app.rows)} addresses checked in ${seconds} s. ${summaryText()}`);
  document.documentElement.dataset.state = app.state;
  requestAnimationFrame(() => { app.timing.rendered = performance.now(); });
}

function onProblem(m) {
  app.state = 'error';
  app.error = m;
  document.documentElement.dataset.state = 'error';
  $('progress').hidden = true;
  $('results').hidden = true;
  $('skip').hidden = true;
  showError(m.message);
  if (m.code === 'no_email_column' && app.head) {
    $('column-field').hidden = false;
    const select = $('column');
    select.prepend(new Option('Choose a column…', '', true, true));
    select.value = '';
    select.disabled = false;
    $('setup').hidden = false;
  }
  announce(m.message);
}

// ---------------------------------------------------------------------------
// Errors and announcements

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

function hideError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

function announce(text) {
  $('announce').textContent = text;
}

function plural(n, one, many = `${one}s`) {
  return `${fmt.format(n)} ${n === 1 ? one : many}`;
}

function summaryText() {
  const s = app.byStatus;
  return STATUSES.map((name, i) => `${fmt.format(s[i])} ${name}`).join(', ') + '.';
}

function lineList(lines, count) {
  const shown = lines.slice(0, 20).join(', ');
  return count > 20 ? `${shown} and ${fmt.format(count - 20)} more` : shown;
}

function renderProblems() {
  const m = app.done;
  const box = $('problems');
  const items = [];
  if (app.head?.encoding === 'windows-1252') {
    items.push(`${app.name} is not UTF-8 text, so it was read as Windows-1252 (Western European: Excel's "CSV" on Windows). If letters look wrong, save it as "CSV UTF-8" and choose it again.`);
  }
  if (m.noAddressCount > 0) {
    items.push(`${plural(m.noAddressCount, 'row')} without an address, not checked: line${m.noAddressCount === 1 ? '' : 's'} ${lineList(m.noAddress, m.noAddressCount)}.`);
  }
  if (m.badLineCount > 0) {
    items.push(`${plural(m.badLineCount, 'line')} not readable as UTF-8 text (shown with \uFFFD; such addresses count as invalid): line${m.badLineCount === 1 ? '' : 's'} ${lineList(m.badLines, m.badLineCount)}.`);
  }
  if (m.problemCount > 0) {
    items.push(`${plural(m.problemCount, 'CSV problem')}: ${m.problems.slice(0, 5).map((p) => `line ${p.line}: ${p.message}`).join('; ')}${m.problemCount > 5 ? '; …' : ''}.`);
  }
  box.replaceChildren(...items.map((text) => {
    const p = document.createElement('p');
    p.textContent = text;
    return p;
  }));
  box.hidden = items.length === 0;
}

// ---------------------------------------------------------------------------
// Progress, counts and chart

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderNow();
  });
}

function renderNow() {
  renderProgress();
  renderCounts();
  updateView();
}

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

function renderProgress() {
  if (app.state !== 'checking') return;
  const fraction = Math.min(1, app.progress.done / Math.max(1, app.progress.total));
  $('bar').value = fraction;
  const elapsed = performance.now() - (app.timing.started ?? app.timing.picked);
  const rate = elapsed > 0 ? (app.rows / elapsed) * 1000 : 0;
  const left = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
  $('progress-text').textContent = `${fmt.format(app.rows)} rows checked (${Math.round(fraction * 100)} %) · `
    + `${fmt.format(Math.round(rate))} rows/s · ${Number.isFinite(left) ? `about ${duration(left)} left` : 'estimating time left'}`;
}

function renderCounts() {
  const total = app.rows;
  const summary = $('summary');
  const what = app.state === 'checking' ? 'checked so far' : 'checked';
  summary.textContent = `${fmt.format(total)} address${total === 1 ? '' : 'es'} ${what} in ${app.name}. ${summaryText()}`;
  if (app.byReason[REASONS.indexOf('possible_typo')] > 0) {
    summary.textContent += ` ${plural(app.byReason[REASONS.indexOf('possible_typo')], 'likely typo')} with a "did you mean" suggestion (filter by reason "Likely typo").`;
  }
  const typos = app.byReason[REASONS.indexOf('possible_typo')];
  $('suggest-actions').hidden = !(typos > 0 || app.applied > 0);
  $('apply-all').disabled = typos === 0 || app.state === 'checking' || app.state === 'reading';
  $('applied').textContent = app.applied > 0 ? `${plural(app.applied, 'suggestion')} applied.` : '';
  $('undo-all').hidden = app.applied === 0;
  renderBars($('status-bars'), STATUSES.map((name, i) => ({
    key: name, label: STATUS_TEXT[name], count: app.byStatus[i], kind: name,
    pick: () => setFilter('f-status', name),
  })), total);
  const reasons = REASONS.map((name, i) => ({ name, i })).filter(({ i }) => app.byReason[i] > 0)
    .sort((a, b) => app.byReason[b.i] - app.byReason[a.i]);
  renderBars($('reason-bars'), reasons.map(({ name, i }) => ({
    key: name, label: REASON_TEXT[name] ?? name, count: app.byReason[i], kind: statusOfReason(name),
    pick: () => setFilter('f-reason', name),
  })), total);
  fillSelect($('f-status'), STATUSES.map((name, i) => [name, `${STATUS_TEXT[name]} (${fmt.format(app.byStatus[i])})`]));
  fillSelect($('f-reason'), reasons.map(({ name, i }) => [name, `${REASON_TEXT[name] ?? name} (${fmt.format(app.byReason[i])})`]));
  fillSelect($('f-flag'), FLAG_NAMES.map((name, b) => [name, `${FLAG_TEXT[name]} (${fmt.format(app.byFlag[b])})`]));
}

function statusOfReason(reason) {
  const r = REASONS.indexOf(reason);
  if (r === REASONS.indexOf('ok')) return 'valid';
  if (r <= REASONS.indexOf('mailbox_disabled')) return 'invalid';
  if (r <= REASONS.indexOf('role_account')) return 'risky';
  return 'unknown';
}

/** Keeps a select's options (after its first "All") in step, preserving the choice. */
function fillSelect(select, entries) {
  const value = select.value;
  const first = select.options[0];
  const same = select.options.length === entries.length + 1
    && entries.every(([v, text], k) => select.options[k + 1].value === v && select.options[k + 1].text === text);
  if (same) return;
  select.replaceChildren(first, ...entries.map(([v, text]) => new Option(text, v)));
  select.value = entries.some(([v]) => v === value) ? value : '';
}

function renderBars(list, items, total) {
  const existing = new Map([...list.children].map((li) => [li.dataset.key, li]));
  const children = items.map((item) => {
    let li = existing.get(item.key);
    if (!li) {
      li = document.createElement('li');
      li.dataset.key = item.key;
      li.className = `bar-row ${item.kind}`;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'bar-button';
      button.innerHTML = '<span class="bar-label"></span><span class="bar-track" aria-hidden="true"><span class="bar-fill"></span></span><span class="bar-count"></span>';
      button.addEventListener('click', () => li.pick());
      li.append(button);
    }
    li.pick = item.pick;
    const pct = total > 0 ? (item.count / total) * 100 : 0;
    li.querySelector('.bar-label').textContent = item.label;
    li.querySelector('.bar-fill').style.width = `${pct.toFixed(2)}%`;
    li.querySelector('.bar-count').textContent = `${fmt.format(item.count)} (${pct < 0.1 && pct > 0 ? '<0.1' : pct.toFixed(1)} %)`;
    li.querySelector('button').setAttribute('aria-label', `${item.label}: ${fmt.format(item.count)} rows, ${pct.toFixed(1)} %. Show only these.`);
    return li;
  });
  // Re-inserting a node loses its focus: touch the list only when its order changed.
  const same = children.length === list.children.length && children.every((li, k) => list.children[k] === li);
  if (!same) list.replaceChildren(...children);
}

function setFilter(id, value) {
  $(id).value = value;
  updateView();
  $('viewport').scrollTop = 0;
  $(id).focus();
}

// ---------------------------------------------------------------------------
// Filters and search

let searchReq = 0;
let searchTimer = 0;
for (const id of ['f-status', 'f-reason', 'f-flag']) {
  $(id).addEventListener('change', () => { updateView(); $('viewport').scrollTop = 0; });
}
$('f-search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 200);
});
$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  runSearch();
});

function runSearch() {
  const query = $('f-search').value.trim();
  if (query === '') {
    app.search = { query: '', matches: null };
    updateView();
    return;
  }
  searchReq += 1;
  app.search.pendingQuery = query;
  worker.postMessage({ type: 'search', req: searchReq, job: app.job, query });
}

function onSearch(m) {
  if (m.req !== searchReq) return;
  app.search = { query: m.query, matches: m.matches, rows: app.rows };
  updateView();
  $('viewport').scrollTop = 0;
}

/** Recomputes the rows shown from the filters (typed arrays, here) and the search (from the worker). */
function updateView() {
  const s = $('f-status').value;
  const r = $('f-reason').value;
  const f = $('f-flag').value;
  const search = app.search.matches;
  // A search made while rows were still arriving is run again when they are all in.
  if (search && app.search.rows !== app.rows && app.state !== 'checking') {
    app.search.rows = app.rows;
    runSearch();
  }
  if (!s && !r && !f && !search) {
    app.view = null;
  } else {
    const st = s ? STATUSES.indexOf(s) : -1;
    const re = r ? REASONS.indexOf(r) : -1;
    const bit = f ? FLAGS[f] : 0;
    const n = search ? search.length : app.rows;
    const out = new Uint32Array(n);
    let k = 0;
    for (let j = 0; j < n; j++) {
      const i = search ? search[j] : j;
      if (i >= app.rows) continue;
      if (st >= 0 && app.status[i] !== st) continue;
      if (re >= 0 && app.reason[i] !== re) continue;
      if (bit && !(app.flags[i] & bit)) continue;
      out[k++] = i;
    }
    app.view = out.subarray(0, k);
  }
  const shown = app.view ? app.view.length : app.rows;
  const filtered = app.view !== null;
  $('shown').textContent = filtered
    ? `Showing ${fmt.format(shown)} of ${fmt.format(app.rows)} rows.`
    : `Showing all ${fmt.format(app.rows)} rows.`;
  renderTable();
}

// ---------------------------------------------------------------------------
// The virtualized table

const viewport = $('viewport');
const spacer = $('spacer');
const rowsBox = $('rows');
const rowCache = new Map(); // row -> { line, email, suggestion, message, cells }
const pending = new Set();
let rowsReq = 0;
let pool = [];
let columns = [];

function setupTable() {
  const head = app.head;
  const others = head.format === 'csv' ? head.columns.filter((_, k) => k !== head.column) : [];
  columns = [
    { key: 'line', label: 'Line', width: '4.5rem' },
    { key: 'email', label: head.format === 'csv' ? head.columns[head.column] : 'Address', width: 'minmax(14rem, 2fr)' },
    { key: 'status', label: 'Status', width: '7rem' },
    { key: 'reason', label: 'Reason', width: '11rem' },
    { key: 'depth', label: 'Checked', width: '5.5rem' },
    { key: 'suggestion', label: 'Did you mean', width: 'minmax(15rem, 2fr)' },
    ...others.map((label, k) => ({ key: `c${k}`, label, width: 'minmax(8rem, 1fr)', other: k })),
  ];
  const template = columns.map((c) => c.width).join(' ');
  $('table').style.setProperty('--columns', template);
  $('table').style.setProperty('--min-width', `${52 + 8 * others.length}rem`);
  $('thead-row').replaceChildren(...columns.map((c) => {
    const cell = document.createElement('span');
    cell.setAttribute('role', 'columnheader');
    cell.className = `td ${c.key}`;
    cell.textContent = c.label;
    return cell;
  }));
  pool = [];
  rowsBox.replaceChildren();
  viewport.scrollTop = 0;
}

function makeRow() {
  const row = document.createElement('div');
  row.className = 'tr';
  row.setAttribute('role', 'row');
  for (const c of columns) {
    const cell = document.createElement('span');
    cell.setAttribute('role', 'cell');
    cell.className = `td ${c.key}`;
    row.append(cell);
  }
  return row;
}

function geometry() {
  const n = app.view ? app.view.length : app.rows;
  const full = n * ROW_HEIGHT;
  const height = Math.min(full, MAX_SCROLL_PX);
  const visible = Math.ceil(viewport.clientHeight / ROW_HEIGHT) + 1;
  const scaled = full > MAX_SCROLL_PX;
  let first;
  let offset;
  if (scaled) {
    const range = Math.max(1, height - viewport.clientHeight);
    first = Math.floor((Math.min(viewport.scrollTop, range) / range) * Math.max(0, n - visible + 1));
    offset = viewport.scrollTop;
  } else {
    first = Math.floor(viewport.scrollTop / ROW_HEIGHT);
    offset = first * ROW_HEIGHT;
  }
  return { n, height, first, offset, visible };
}

function renderTable() {
  if (columns.length === 0 || $('results').hidden) return;
  const { n, height, first, offset, visible } = geometry();
  spacer.style.height = `${height}px`;
  $('table').setAttribute('aria-rowcount', String(n + 1));
  const from = Math.max(0, first - (height === n * ROW_HEIGHT ? OVERSCAN : 0));
  const to = Math.min(n, first + visible + OVERSCAN);
  const count = Math.max(0, to - from);
  while (pool.length < count) pool.push(makeRow());
  rowsBox.style.transform = `translateY(${offset - (first - from) * ROW_HEIGHT}px)`;
  const missing = [];
  for (let k = 0; k < count; k++) {
    const row = pool[k];
    const index = from + k;
    const i = app.view ? app.view[index] : index;
    fillRow(row, i, index);
    if (!rowCache.has(i) && !pending.has(i)) missing.push(i);
  }
  if (rowsBox.children.length !== count) rowsBox.replaceChildren(...pool.slice(0, count));
  // The described row may have scrolled away (by the mouse) and changed since.
  const c = app.cursor;
  if (c >= 0 && c < app.rows && !rowCache.has(c) && !pending.has(c) && !missing.includes(c)) missing.push(c);
  if (missing.length > 0) {
    for (const i of missing) pending.add(i);
    rowsReq += 1;
    worker.postMessage({ type: 'rows', req: rowsReq, job: app.job, ids: missing });
  }
  renderDetails();
}

function fillRow(row, i, index) {
  const data = rowCache.get(i);
  const status = STATUSES[app.status[i]];
  const reason = REASONS[app.reason[i]];
  row.setAttribute('aria-rowindex', String(index + 2));
  row.dataset.row = String(i);
  if (i === app.cursor) row.setAttribute('aria-current', 'true'); else row.removeAttribute('aria-current');
  row.dataset.status = status;
  const cells = row.children;
  for (let c = 0; c < columns.length; c++) {
    const col = columns[c];
    const cell = cells[c];
    let text = '';
    let title = '';
    switch (col.key) {
      case 'line': text = data ? String(data.line) : ''; break;
      case 'email': text = data ? data.email : '…'; title = data?.message ?? ''; break;
      case 'status': text = `${STATUS_ICON[status]} ${STATUS_TEXT[status]}`; break;
      case 'reason': text = REASON_TEXT[reason] ?? reason; title = data?.message ?? ''; break;
      case 'depth': text = data ? DEPTH_TEXT[data.depth] ?? data.depth : ''; break;
      case 'suggestion':
        fillSuggestion(cell, data);
        continue;
      default: text = data?.cells?.[col.other] ?? '';
    }
    if (cell.textContent !== text) cell.textContent = text;
    if (title) cell.title = title; else cell.removeAttribute('title');
  }
}

/** The "did you mean" cell: a button that applies the suggestion, or what the address was. */
function fillSuggestion(cell, data) {
  const key = data ? `${data.original ?? ''}\u0000${data.suggestion ?? ''}\u0000${data.email}` : '';
  if (cell.dataset.key === key) return;
  cell.dataset.key = key;
  if (data?.original != null) {
    const was = document.createElement('span');
    was.className = 'was';
    was.textContent = `was ${data.original}`;
    const undo = document.createElement('button');
    undo.type = 'button';
    undo.className = 'undo';
    undo.textContent = 'Undo';
    undo.setAttribute('aria-label', `Undo: back to ${data.original}`);
    cell.replaceChildren(was, undo);
    cell.className = 'td suggestion applied';
  } else if (data?.suggestion) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'apply';
    button.textContent = data.suggestion;
    button.setAttribute('aria-label', `Use ${data.suggestion} instead of ${data.email}`);
    cell.replaceChildren(button);
    cell.className = 'td suggestion';
  } else {
    cell.replaceChildren();
    cell.className = 'td suggestion';
  }
}

rowsBox.addEventListener('click', (event) => {
  const button = event.target.closest('button.apply, button.undo');
  if (!button) {
    // A click (or a tap: there is no hover on a phone) describes the row.
    const row = event.target.closest('.tr');
    if (row) setCursor(Number(row.dataset.row));
    return;
  }
  const i = Number(button.closest('.tr').dataset.row);
  viewport.focus(); // the button goes away with the change
  worker.postMessage({ type: button.classList.contains('undo') ? 'undo' : 'apply', job: app.job, ids: [i] });
});

$('apply-all').addEventListener('click', () => {
  // Rows that may carry a suggestion: likely typos, and some invalid ones (john@gmailcom).
  const typo = REASONS.indexOf('possible_typo');
  const syntax = REASONS.indexOf('invalid_syntax');
  const ids = [];
  for (let i = 0; i < app.rows; i++) if (app.reason[i] === typo || app.reason[i] === syntax) ids.push(i);
  const list = Uint32Array.from(ids);
  worker.postMessage({ type: 'apply', job: app.job, ids: list }, [list.buffer]);
});

$('undo-all').addEventListener('click', () => {
  worker.postMessage({ type: 'undo', job: app.job, all: true });
});

function onApplied(m) {
  onSuggestions(m, +1, 'applied', 'No suggestion to apply.');
}

function onUndone(m) {
  onSuggestions(m, -1, 'undone', 'Nothing to undo.');
}

/**
 * Rows whose suggestion was applied (`sign` +1) or undone (-1). The bulk
 * button just pressed may now be disabled or hidden: the focus moves to its
 * counterpart (Apply all <-> Undo all) instead of falling to the page.
 */
function onSuggestions(m, sign, done, nothing) {
  const n = m.ids.length;
  const focused = document.activeElement?.id;
  updateRows(m);
  app.applied += sign * n;
  renderNow();
  if (focused === 'apply-all' && !$('undo-all').hidden) $('undo-all').focus();
  else if (focused === 'undo-all' && $('undo-all').hidden) $('apply-all').focus();
  announce(n === 0 ? nothing : `${plural(n, 'suggestion')} ${done}; ${summaryText()}`);
}

/** Adds row `i`'s codes to the counts (`by` +1) or takes them away (-1). */
function count(i, by) {
  app.byStatus[app.status[i]] += by;
  app.byReason[app.reason[i]] += by;
  const f = app.flags[i];
  if (f !== 0) for (let b = 0; b < FLAG_NAMES.length; b++) if (f & (1 << b)) app.byFlag[b] += by;
}

function onRows(m) {
  for (const i of m.ids) pending.delete(i);
  for (const r of m.rows) rowCache.set(r.i, r);
  if (rowCache.size > 4000) {
    // Keep what is on screen; drop the rest.
    const keep = new Set([...rowsBox.children].map((el) => Number(el.dataset.row)));
    for (const key of rowCache.keys()) if (!keep.has(key)) rowCache.delete(key);
  }
  scheduleTable();
}

// ---------------------------------------------------------------------------
// The described row: the arrow keys, Page Up/Down, Home and End move it (the
// table scrolls to keep it on screen); its whole verdict — the message a
// tooltip would hide — is written under the table in a live region, so
// keyboard, screen-reader and touch users read it too.

/** Where row `i` is among the rows shown (the view is ascending), or -1. */
function viewIndexOf(i) {
  if (i < 0 || i >= app.rows) return -1;
  if (!app.view) return i;
  let lo = 0;
  let hi = app.view.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (app.view[mid] === i) return mid;
    if (app.view[mid] < i) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

function setCursor(i) {
  app.cursor = i;
  scheduleTable();
  renderDetails();
}

/** Scrolls the table just enough that the row at position `index` of the view is wholly on screen. */
function scrollToIndex(index) {
  const { n, height, first, visible } = geometry();
  const whole = Math.max(1, Math.floor(viewport.clientHeight / ROW_HEIGHT));
  if (n * ROW_HEIGHT <= MAX_SCROLL_PX) {
    const top = index * ROW_HEIGHT;
    if (top < viewport.scrollTop) viewport.scrollTop = top;
    else if (top + ROW_HEIGHT > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = top + ROW_HEIGHT - viewport.clientHeight;
    return;
  }
  // Scaled: the row at the top is geometry()'s `first`; aim it so.
  const target = index < first ? index : index >= first + whole ? index - whole + 1 : -1;
  if (target < 0) return;
  const range = Math.max(1, height - viewport.clientHeight);
  viewport.scrollTop = Math.ceil((target / Math.max(1, n - visible + 1)) * range);
}

viewport.addEventListener('keydown', (event) => {
  if (event.target !== viewport || event.altKey || event.ctrlKey || event.metaKey) return; // a row's button keeps its keys
  const n = app.view ? app.view.length : app.rows;
  if (n === 0) return;
  const at = viewIndexOf(app.cursor);
  const from = at >= 0 ? at : geometry().first; // none yet: start at the top of the screen
  const step = at >= 0 ? 1 : 0;
  const page = Math.max(1, Math.floor(viewport.clientHeight / ROW_HEIGHT) - 1);
  const to = {
    ArrowDown: from + step, ArrowUp: from - step, PageDown: from + page, PageUp: from - page, Home: 0, End: n - 1,
  }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  const index = Math.max(0, Math.min(n - 1, to));
  scrollToIndex(index);
  setCursor(app.view ? app.view[index] : index);
});

viewport.addEventListener('focus', () => {
  const n = app.view ? app.view.length : app.rows;
  if (viewIndexOf(app.cursor) < 0 && n > 0) {
    const { first } = geometry();
    setCursor(app.view ? app.view[first] : first);
  }
});

let detailsKey = '';
/** The described row's verdict under the table (written only when it changed, so it is announced once). */
function renderDetails() {
  const i = app.cursor;
  let parts;
  if (viewIndexOf(i) < 0) {
    parts = [['hint', 'Select a row, or move through the rows with the arrow keys, to read its whole verdict here.']];
  } else {
    const data = rowCache.get(i);
    if (!data) return; // on its way from the worker
    const status = STATUSES[app.status[i]];
    const reason = REASONS[app.reason[i]];
    parts = [
      ['title', `Line ${data.line}: ${data.email}`],
      ['verdict', `${STATUS_TEXT[status]}: ${REASON_TEXT[reason] ?? reason} (checked: ${DEPTH_TEXT[data.depth] ?? data.depth}).`],
      data.message && ['message', data.message],
      data.detail && ['detail', data.detail],
      data.original != null
        ? ['suggestion', `Suggestion applied: the address was ${data.original}.`]
        : data.suggestion && !data.message?.includes(data.suggestion) && ['suggestion', `Did you mean ${data.suggestion}?`],
    ].filter(Boolean);
  }
  const key = JSON.stringify(parts);
  if (key === detailsKey) return;
  detailsKey = key;
  $('row-details').replaceChildren(...parts.map(([kind, text]) => {
    const p = document.createElement('p');
    p.className = kind;
    p.textContent = text;
    return p;
  }));
}

let tableQueued = false;
function scheduleTable() {
  if (tableQueued) return;
  tableQueued = true;
  requestAnimationFrame(() => {
    tableQueued = false;
    renderTable();
  });
}

viewport.addEventListener('scroll', scheduleTable, { passive: true });
window.addEventListener('resize', scheduleTable);

document.documentElement.dataset.state = app.state;
