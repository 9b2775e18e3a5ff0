// The list checker's worker (a module Web Worker): reads the file, parses it
// (Papa Parse, in chunks), checks the address column with the npm package's
// checkMany — after the full disposable data file is loaded, so its verdicts
// equal the CLI's — and transfers each chunk's typed arrays to the page.
// It keeps the text and the addresses, and answers the page's requests for
// the rows it shows and for searches.
//
// Messages in:  load {job, file | text, name, column?, format?}, cancel {job},
//               rows {req, job, ids}, search {req, job, query}, apply {job, ids},
//               undo {job, ids | all},
//               export {req, job, kind: clean | clean-risky | suppression | annotated, guard},
//               export-cancel {req, job},
//               deep {job, endpoint, key, options}, deep-cancel {job}
// Messages out: ready, head, started, chunk, done, problem, rows, search,
//               applied, undone, export-progress, exported, deep-progress, deep-chunk, deep-done
//               (see list-app.js).
import Papa from './vendor/papaparse.mjs';
import {
  init, loadDisposableData, disposableStatus, check, checkMany, ERROR_CODES, FLAGS, REASONS, STATUSES,
  sniffDelimiter, detectColumns, invalidEncodingVerdict, guardFormula,
} from '/pkg/index.js';

// The CSV rules (delimiter, header, address column, the verdict for a line
// that is not UTF-8, the formula guard) are prebounce-core's `list` module,
// through the package: the CLI's own.
const HEAD_LINES = 200; // lines parsed for the head: room for the core's first 50 records among blank lines
const CHUNK_CHARS = 512 * 1024; // Papa Parse chunk size (characters)
const LINES_PER_CHUNK = 20_000; // for one-address-a-line lists
const MAX_REPORTED = 1000; // line numbers kept per kind of problem
const TEXT_TYPES = new Set(['csv', 'tsv', 'txt']);
const SPREADSHEETS = new Set(['xlsx', 'xlsm', 'xls', 'ods', 'numbers']);

// The module (needed to read a list's head), then the full disposable list
// (needed before any check), each loaded once.
const loaded = init();
const ready = (async () => {
  await loaded;
  try {
    const status = await loadDisposableData();
    return { ...status, error: null };
  } catch (e) {
    return { ...disposableStatus(), error: e.message };
  }
})();
ready.then(
  (disposable) => postMessage({ type: 'ready', disposable }),
  (e) => postMessage({ type: 'fatal', message: e.message }),
);

/** The current list (one at a time; a new load replaces it). */
let current = null;

/** A problem the person can act on; ends a load. */
class ListError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }
}

onmessage = (event) => {
  const msg = event.data;
  switch (msg.type) {
    case 'load':
      if (current) {
        current.cancelled = true;
        if (current.deep) { current.deep.cancelled = true; current.deep.abort.abort(); }
      }
      load(msg).catch((e) => {
        const code = e instanceof ListError ? e.code : 'internal';
        postMessage({ type: 'problem', job: msg.job, code, message: e.message, ...(e.extra ?? {}) });
      });
      break;
    case 'cancel':
      if (current?.job === msg.job) current.cancelled = true;
      break;
    case 'rows':
      if (current?.job === msg.job) postMessage({ type: 'rows', req: msg.req, job: msg.job, ids: msg.ids, rows: rowsOf(current, msg.ids) });
      break;
    case 'apply':
      if (current?.job === msg.job) postCodes('applied', msg.job, applySuggestions(current, msg.ids));
      break;
    case 'undo':
      if (current?.job === msg.job) postCodes('undone', msg.job, undoSuggestions(current, msg.all ? [...current.original.keys()] : msg.ids));
      break;
    case 'export': {
      if (current?.job !== msg.job) break;
      // One file at a time: a new request replaces the one being made.
      if (current.export) current.export.cancelled = true;
      const reply = { type: 'exported', req: msg.req, job: msg.job, kind: msg.kind };
      exportList(current, msg).then(
        (out) => postMessage({ ...reply, ...out }),
        (e) => postMessage({ ...reply, error: e.message }),
      );
      break;
    }
    case 'export-cancel':
      if (current?.job === msg.job && current.export?.req === msg.req) current.export.cancelled = true;
      break;
    case 'deep':
      if (current?.job === msg.job) deepCheck(current, msg);
      break;
    case 'deep-cancel':
      if (current?.job === msg.job && current.deep) {
        current.deep.cancelled = true;
        current.deep.abort.abort();
      }
      break;
    case 'search': {
      if (current?.job !== msg.job) break;
      const matches = search(current, msg.query);
      postMessage({ type: 'search', req: msg.req, job: msg.job, query: msg.query, matches }, [matches.buffer]);
      break;
    }
    default:
  }
};

// Yields to the event loop (cancel, rows and search messages get in) without
// setTimeout's clamping of nested timers.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
function yieldNow() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

function extension(name) {
  const m = /\.([A-Za-z0-9]+)$/.exec(name ?? '');
  return m ? m[1].toLowerCase() : '';
}

/** Refuses what is not a text list, by name first, then by its first bytes. */
function checkKind(name, type, bytes) {
  const ext = extension(name);
  if (SPREADSHEETS.has(ext)) {
    throw new ListError('wrong_type', `${name} is a spreadsheet. Save it as CSV (File → Save as → CSV UTF-8) and choose that file.`);
  }
  if (!TEXT_TYPES.has(ext) && !(ext === '' && (type ?? '').startsWith('text/'))) {
    throw new ListError('wrong_type', `${name} is not a list this page reads: choose a .csv, .tsv or .txt file.`);
  }
  const head = bytes.subarray(0, 65536);
  const magic = [
    [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (an Excel or OpenDocument spreadsheet?)'],
    [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
    [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
    [[0xff, 0xd8, 0xff], 'a JPEG image'],
    [[0xd0, 0xcf, 0x11, 0xe0], 'an old Office document (.xls?)'],
  ].find(([sig]) => sig.every((b, i) => head[i] === b));
  if (magic) {
    throw new ListError('binary', `${name} is not text: it looks like ${magic[1]}. Choose a CSV or text file.`);
  }
  if (isUtf16(head)) return;
  let control = 0;
  for (const b of head) {
    if (b === 0) throw new ListError('binary', `${name} is not a text file (it contains binary data). Choose a CSV or text file.`);
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) control++;
  }
  if (control > head.length / 100) {
    throw new ListError('binary', `${name} does not look like text (too many control characters). Choose a CSV or text file.`);
  }
}

function isUtf16(bytes) {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

/**
 * Counts, in bytes that are not UTF-8, the well-formed multi-byte UTF-8
 * sequences and the bytes outside any: which of the two the file mostly is.
 */
function utf8Shape(bytes) {
  let sequences = 0;
  let strays = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b < 0x80) { i++; continue; }
    const more = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    let ok = more > 0;
    for (let k = 1; ok && k <= more; k++) ok = (bytes[i + k] & 0xc0) === 0x80;
    if (ok) { sequences++; i += 1 + more; } else { strays++; i++; }
  }
  return { sequences, strays };
}

/**
 * Bytes to text. UTF-16 with a BOM (Excel's "Unicode text"); UTF-8 (a BOM is
 * dropped). A file that is not UTF-8 is either in a legacy single-byte
 * encoding — more stray high bytes than UTF-8 sequences, as when Excel saves
 * "CSV" on Windows — and is read as Windows-1252 (the WHATWG decoder, which
 * also covers Latin-1), or UTF-8 with some lines that are not (a mixed
 * file): those are read with U+FFFD in place of the bad bytes and their
 * numbers returned, as the CLI reports them.
 */
function decode(bytes) {
  if (isUtf16(bytes)) {
    const label = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    return { text: new TextDecoder(label).decode(bytes), badLines: [], encoding: label };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), badLines: [], encoding: 'utf-8' };
  } catch {
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf; // says UTF-8 itself
    const { sequences, strays } = utf8Shape(bytes);
    if (!bom && strays > sequences) return { text: new TextDecoder('windows-1252').decode(bytes), badLines: [], encoding: 'windows-1252' };
    // Which lines? Bad bytes become U+FFFD, and line breaks stay where they
    // were, so only lines with a U+FFFD in the text need their bytes checked.
    const text = new TextDecoder('utf-8').decode(bytes);
    const textStarts = lineStartsOf(text, '\n');
    const byteStarts = [];
    let start = bom ? 3 : 0;
    for (; start >= 0; start = bytes.indexOf(0x0a, start) + 1 || -1) byteStarts.push(start);
    const strict = new TextDecoder('utf-8', { fatal: true });
    const badLines = [];
    let last = -1;
    for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
      const line = upperBound(textStarts, i); // 1-based line of offset i
      if (line === last) continue;
      last = line;
      const from = byteStarts[line - 1];
      const to = line < byteStarts.length ? byteStarts[line] : bytes.length;
      try { strict.decode(bytes.subarray(from, to)); } catch { badLines.push(line); }
    }
    return { text, badLines, encoding: 'utf-8' };
  }
}

/** The number of entries of the ascending `starts` that are <= x. */
function upperBound(starts, x) {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] <= x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Start offsets of the text's lines (split at `brk`, '\n' or '\r'). */
function lineStartsOf(text, brk) {
  let n = 1;
  for (let i = text.indexOf(brk); i >= 0; i = text.indexOf(brk, i + 1)) n++;
  const starts = new Uint32Array(n);
  let k = 1;
  for (let i = text.indexOf(brk); i >= 0; i = text.indexOf(brk, i + 1)) starts[k++] = i + 1;
  return starts;
}

/** Whether the first line is a delimited header with a column named like "email". */
function namesEmailColumn(text) {
  const first = text.slice(0, Math.min(text.length, 4096)).split(/\r?\n|\r/, 1)[0];
  const delimiter = sniffDelimiter(first);
  if (!first.includes(delimiter)) return false;
  return detectColumns(Papa.parse(first, { delimiter }).data.slice(0, 1)).byName;
}

const isBlankRow = (row) => row.length === 1 && row[0] === '';
// Rust's is_ascii_whitespace: what the core trims before calling an address empty.
const isEmptyCell = (cell) => /^[\t\n\f\r ]*$/.test(cell);

/**
 * The core's header and column (the CLI's rules) over the first records,
 * with the columns' names for the page.
 */
function detect(head) {
  const layout = detectColumns(head);
  const header = (head[0] ?? []).map((c) => c.trim());
  const names = Array.from({ length: layout.width }, (_, i) => (layout.hasHeader && header[i] ? header[i] : `Column ${i + 1}`));
  return { ...layout, names };
}

async function load(msg) {
  const started = performance.now();
  const job = {
    job: msg.job,
    cancelled: false,
    format: 'lines',
    text: '',
    brk: '\n',
    lineStarts: null,
    delimiter: ',',
    newline: '\n',
    column: 0,
    names: [],
    emails: [],
    lines: new Uint32Array(1024),
    status: new Uint8Array(1024), // a copy of each row's status code (the chunks' own arrays go to the page)
    spans: null, // Uint16Array of lines per row, only when a row spans several
    sets: [], // { from, set } per checked chunk
    overrides: new Map(), // row -> verdict (not UTF-8, or a suggestion applied)
    original: new Map(), // row -> { email: the address as given, over: its override before } where a suggestion was applied
    noAddress: [],
    noAddressCount: 0,
    badLines: [],
    problems: [], // { line, message }: what could not be read as written
    problemCount: 0,
    times: {},
    chunks: 0, // checked chunks posted
    transferred: 0, // of which the typed arrays were transferred (detached here)
  };
  current = job;
  const post = (m, transfer) => { if (current === job) postMessage({ job: job.job, ...m }, transfer ?? []); };

  // Read and decode.
  let name = 'pasted text';
  job.name = msg.file ? msg.file.name : 'pasted-list';
  if (msg.file) {
    name = msg.file.name;
    if (msg.file.size === 0) throw new ListError('no_rows', `${name} is empty: there are no rows to check.`);
    const bytes = new Uint8Array(await msg.file.arrayBuffer());
    job.times.read = performance.now() - started;
    checkKind(name, msg.file.type, bytes);
    const { text, badLines, encoding } = decode(bytes);
    job.times.decoded = performance.now() - started;
    job.text = text;
    job.badLines = badLines;
    job.encoding = encoding;
  } else {
    job.text = msg.text ?? '';
    job.encoding = 'text';
  }
  if (job.text.charCodeAt(0) === 0xfeff) job.text = job.text.slice(1);
  if (job.cancelled) { finish(job, post, started); return; }
  if (/^[\s]*$/.test(job.text)) throw new ListError('no_rows', `${msg.file ? name : 'The pasted text'} has no rows to check.`);
  await loaded; // the CSV rules below are the module's
  if (job.cancelled) { finish(job, post, started); return; }

  // The format: CSV for .csv/.tsv, one address a line for .txt (as the CLI)
  // unless its first line is a header naming an email column (Excel's
  // "Unicode text" is a .txt); pasted text is CSV when its first line has a
  // , ; or tab.
  const ext = extension(name);
  if (msg.format === 'csv' || msg.format === 'lines') job.format = msg.format;
  else if (msg.file) job.format = ext === 'txt' && !namesEmailColumn(job.text) ? 'lines' : 'csv';
  else job.format = /^[^\n]*[,;\t]/.test(job.text) ? 'csv' : 'lines';

  job.brk = job.text.includes('\n') || !job.text.includes('\r') ? '\n' : '\r';
  job.lineStarts = lineStartsOf(job.text, job.brk);
  // Lines as an editor counts them: no extra one after a final line break.
  const totalLines = job.lineStarts.length - (job.text.endsWith(job.brk) ? 1 : 0);
  grow(job, Math.min(totalLines, 1 << 20));

  if (job.format === 'csv') {
    job.delimiter = sniffDelimiter(job.text);
    const preview = Papa.parse(job.text, { delimiter: job.delimiter, preview: HEAD_LINES });
    job.newline = preview.meta.linebreak || '\n';
    const head = preview.data.filter((r) => !isBlankRow(r));
    const d = detect(head);
    job.names = d.names;
    job.hasHeader = d.hasHeader;
    const chosen = Number.isInteger(msg.column) && msg.column >= 0 && msg.column < d.names.length;
    job.column = chosen ? msg.column : d.column;
    post({
      type: 'head', name, format: 'csv', columns: d.names, column: job.column, detected: d.column,
      hasHeader: d.hasHeader, delimiter: job.delimiter, lines: totalLines, encoding: job.encoding,
    });
    if (!chosen && !d.found) {
      throw new ListError('no_email_column',
        `No email column found in ${name}: no column is named like "email" and no cell in the first ${d.rows} rows has an @. Choose the column that holds the addresses.`,
        { columns: d.names });
    }
    if (d.hasHeader && head.length <= 1) throw new ListError('no_rows', `${name} has a header but no rows to check.`);
  } else {
    post({ type: 'head', name, format: 'lines', columns: ['Address'], column: 0, detected: 0, hasHeader: false, lines: totalLines, encoding: job.encoding });
  }

  job.times.head = performance.now() - started;
  const disposable = await ready;
  if (job.cancelled) { finish(job, post, started); return; }
  job.times.ready = performance.now() - started;
  post({ type: 'started', disposable });

  if (job.format === 'csv') await checkCsv(job, post);
  else await checkLines(job, post);

  if (!job.cancelled && job.emails.length === 0 && job.noAddressCount === 0) {
    throw new ListError('no_rows', `${msg.file ? name : 'The pasted text'} has no rows to check.`);
  }
  finish(job, post, started);
}

/** The end of a run (complete or cancelled): totals and what could not be read. */
function finish(job, post, started) {
  post({
    type: 'done',
    rows: job.emails.length,
    cancelled: job.cancelled,
    noAddress: job.noAddress,
    noAddressCount: job.noAddressCount,
    badLines: job.badLines.slice(0, MAX_REPORTED),
    badLineCount: job.badLines.length,
    problems: job.problems.slice(0, MAX_REPORTED),
    problemCount: job.problemCount,
    ms: performance.now() - started,
    chunks: job.chunks,
    transferred: job.transferred,
    times: job.times, // ms since the load began: read, decoded, head, ready
  });
}

/** Makes room for `n` rows in the per-row arrays. */
function grow(job, n) {
  if (n <= job.lines.length) return;
  const size = Math.max(n, job.lines.length * 2);
  const lines = new Uint32Array(size);
  lines.set(job.lines);
  job.lines = lines;
  const status = new Uint8Array(size);
  status.set(job.status);
  job.status = status;
  if (job.spans) {
    const spans = new Uint16Array(size);
    spans.set(job.spans);
    job.spans = spans;
  }
}

function setSpan(job, i, span) {
  if (span === 1 && job.spans === null) return;
  if (job.spans === null) {
    job.spans = new Uint16Array(job.lines.length);
    job.spans.fill(1, 0, i);
  }
  job.spans[i] = Math.min(span, 65535);
}

function countOf(text, ch) {
  let n = 0;
  for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/** The number of line starts in [from, to): lines beginning in that range. */
function linesIn(starts, from, to) {
  return upperBound(starts, to - 1) - upperBound(starts, from - 1);
}

/** Checks one chunk of addresses and hands its typed arrays to the page. */
function checkChunk(job, post, from, progress) {
  const to = job.emails.length;
  if (to === from) {
    post({ type: 'chunk', from, count: 0, progress });
    return;
  }
  const results = checkMany(job.emails.slice(from, to));
  const { status, reason, flags, errors } = results;
  if (job.badLines.length > 0) markUnreadable(job, from, to, status, reason, flags, errors);
  job.sets.push({ from, set: results });
  job.status.set(status, from);
  post(
    { type: 'chunk', from, count: to - from, status, reason, flags, errors, progress },
    [status.buffer, reason.buffer, flags.buffer, errors.buffer],
  );
  // Transferred, not copied: the worker's views are detached now.
  if (status.byteLength === 0 && reason.byteLength === 0) job.transferred++;
  job.chunks++;
}

/** Rows read from lines that are not UTF-8 get the core's verdict for them (the CLI's). */
function markUnreadable(job, from, to, status, reason, flags, errors) {
  const bad = new Set(job.badLines);
  for (let i = from; i < to; i++) {
    const line = job.lines[i];
    const span = job.spans ? job.spans[i] : 1;
    let onBad = false;
    for (let l = line; l < line + span && !onBad; l++) onBad = bad.has(l);
    if (!onBad || !job.emails[i].includes('\uFFFD')) continue;
    const v = invalidEncodingVerdict(job.emails[i]);
    writeCodes({ status, reason, flags, errors }, i - from, v);
    job.overrides.set(i, v);
  }
}

function describeParseError(e) {
  switch (e.code) {
    case 'MissingQuotes': return 'a quoted field is never closed: the rest of the file was read as one field';
    case 'InvalidQuotes': return 'a quote inside an unquoted field';
    case 'TooFewFields': case 'TooManyFields': return 'an unexpected number of fields';
    default: return e.message;
  }
}

function noteNoAddress(job, line) {
  job.noAddressCount++;
  if (job.noAddress.length < MAX_REPORTED) job.noAddress.push(line);
}

/** CSV: Papa Parse in chunks, pausing after each so messages get in. */
function checkCsv(job, post) {
  const { text, lineStarts, brk } = job;
  let line = 1; // the line the next record starts on
  let cursor = 0; // where the next chunk starts in the text
  let first = true; // the header record is still ahead
  return new Promise((resolve, reject) => {
    Papa.parse(text, {
      delimiter: job.delimiter,
      newline: job.newline,
      chunkSize: CHUNK_CHARS,
      chunk(results, parser) {
        if (job.cancelled) { parser.abort(); return; }
        const rows = results.data;
        const end = results.meta.cursor;
        // One line per record, unless quoted fields hold line breaks (the
        // last chunk also counts the empty "line" after a final line break,
        // which Papa Parse returns as a blank record).
        const to = end >= text.length ? text.length + 1 : end;
        const simple = linesIn(lineStarts, cursor, to) === rows.length;
        const errorAt = new Map(results.errors.map((e) => [e.row, e]));
        const from = job.emails.length;
        grow(job, from + rows.length);
        for (let r = 0; r < rows.length; r++) {
          const row = rows[r];
          const span = simple ? 1 : 1 + row.reduce((n, cell) => n + countOf(cell, brk), 0);
          if (errorAt.has(r)) {
            job.problemCount++;
            if (job.problems.length < MAX_REPORTED) job.problems.push({ line, message: describeParseError(errorAt.get(r)) });
          }
          if (isBlankRow(row)) { line += span; continue; }
          if (first) {
            first = false;
            if (job.hasHeader) { line += span; continue; }
          }
          const cell = row[job.column] ?? '';
          if (isEmptyCell(cell)) {
            noteNoAddress(job, line);
          } else {
            const i = job.emails.length;
            job.emails.push(cell);
            job.lines[i] = line;
            setSpan(job, i, span);
          }
          line += span;
        }
        cursor = end;
        checkChunk(job, post, from, { done: end, total: text.length });
        parser.pause();
        yieldNow().then(() => parser.resume());
      },
      complete: () => resolve(),
      error: (e) => reject(e),
    });
  });
}

/** One address a line (as the CLI: blank lines skipped, line ends trimmed). */
async function checkLines(job, post) {
  const { text, lineStarts, brk } = job;
  const n = lineStarts.length;
  for (let first = 0; first < n && !job.cancelled; first += LINES_PER_CHUNK) {
    const last = Math.min(n, first + LINES_PER_CHUNK);
    const from = job.emails.length;
    grow(job, from + (last - first));
    for (let l = first; l < last; l++) {
      let s = text.slice(lineStarts[l], l + 1 < n ? lineStarts[l + 1] - brk.length : text.length);
      s = s.replace(/[\r\n]+$/, '');
      if (isEmptyCell(s)) continue;
      const i = job.emails.length;
      job.emails.push(s);
      job.lines[i] = l + 1;
    }
    checkChunk(job, post, from, { done: last < n ? lineStarts[last] : text.length, total: text.length });
    await yieldNow();
  }
}

/** The verdict of checked row `i`. */
function verdictOf(job, i) {
  const over = job.overrides.get(i);
  if (over) return over;
  let lo = 0;
  let hi = job.sets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (job.sets[mid].from <= i) lo = mid; else hi = mid - 1;
  }
  const { from, set } = job.sets[lo];
  return set.verdict(i - from);
}

/** The original cells of CSV row `i` (parsed again from its lines). */
function cellsOf(job, i) {
  const line = job.lines[i];
  const span = job.spans ? job.spans[i] : 1;
  const start = job.lineStarts[line - 1];
  const next = line - 1 + span;
  const end = next < job.lineStarts.length ? job.lineStarts[next] : job.text.length;
  const parsed = Papa.parse(job.text.slice(start, end), { delimiter: job.delimiter, newline: job.newline });
  return parsed.data[0] ?? [];
}

function rowsOf(job, ids) {
  const out = [];
  for (const i of ids) {
    if (!(i >= 0 && i < checkedRows(job))) continue;
    const v = verdictOf(job, i);
    const row = {
      i, line: job.lines[i], email: job.emails[i], suggestion: v.suggestion, message: v.message, detail: v.detail, depth: v.depth, original: job.original.get(i)?.email ?? null,
    };
    if (job.format === 'csv') {
      const cells = cellsOf(job, i);
      row.cells = job.names.map((_, k) => cells[k] ?? '').filter((_, k) => k !== job.column);
    }
    out.push(row);
  }
  return out;
}

/**
 * Replaces the addresses of rows `ids` that have a "did you mean" suggestion
 * with it, and checks them again. Returns the rows changed and their new codes.
 */
function applySuggestions(job, ids) {
  const changed = [];
  const verdicts = [];
  for (const i of ids) {
    if (!(i >= 0 && i < job.emails.length) || job.original.has(i)) continue;
    const suggestion = verdictOf(job, i)?.suggestion;
    if (!suggestion) continue;
    job.original.set(i, { email: job.emails[i], over: job.overrides.get(i) ?? null });
    job.emails[i] = suggestion;
    job.overrides.set(i, check(suggestion));
    changed.push(i);
    verdicts.push(setStatus(job, i));
  }
  return codesOf(changed, verdicts);
}

/** Puts back the addresses (and verdicts) rows `ids` had before their suggestions were applied. */
function undoSuggestions(job, ids) {
  const changed = [];
  const verdicts = [];
  for (const i of ids) {
    const was = job.original.get(i);
    if (!was) continue;
    job.original.delete(i);
    job.emails[i] = was.email;
    if (was.over) job.overrides.set(i, was.over); else job.overrides.delete(i);
    changed.push(i);
    verdicts.push(setStatus(job, i));
  }
  return codesOf(changed, verdicts);
}

/** Row `i`'s verdict, its status code kept in step (the exports read it). */
function setStatus(job, i) {
  const v = verdictOf(job, i);
  job.status[i] = STATUSES.indexOf(v.status);
  return v;
}

/** The page's per-row codes (and depths) of `verdicts` for rows `ids`. */
function codesOf(ids, verdicts) {
  const n = ids.length;
  const out = {
    ids: Uint32Array.from(ids),
    status: new Uint8Array(n),
    reason: new Uint8Array(n),
    flags: new Uint8Array(n),
    errors: new Uint8Array(n),
    depth: verdicts.map((v) => v.depth),
  };
  verdicts.forEach((v, k) => writeCodes(out, k, v));
  return out;
}

/** Writes verdict `v`'s codes at index `k` of the arrays `status`, `reason`, `flags` and `errors`. */
function writeCodes({ status, reason, flags, errors }, k, v) {
  status[k] = STATUSES.indexOf(v.status);
  reason[k] = REASONS.indexOf(v.reason);
  flags[k] = Object.entries(FLAGS).reduce((bits, [name, bit]) => (v.flags?.[name] ? bits | bit : bits), 0);
  errors[k] = v.error ? ERROR_CODES.indexOf(v.error.code) : 255;
}

/** Sends codesOf()'s arrays to the page (for list number `job`), moved, not copied. */
function postCodes(type, job, out) {
  postMessage({ type, job, ...out }, [out.ids.buffer, out.status.buffer, out.reason.buffer, out.flags.buffer, out.errors.buffer]);
}

/** Rows whose address contains `query` (case-insensitive), ascending. */
function search(job, query) {
  const q = query.trim().toLowerCase();
  const n = job.emails.length;
  const out = new Uint32Array(n);
  let k = 0;
  if (q === '') return out.slice(0, 0);
  for (let i = 0; i < n; i++) {
    if (job.emails[i].toLowerCase().includes(q)) out[k++] = i;
  }
  return out.slice(0, k);
}


// ---------------------------------------------------------------------------
// Exports: built here, a batch of rows at a time, as the parts of a Blob (the
// page gets the Blob, not a string, and downloads it through an object URL).

const EXPORT_BATCH = 5000; // rows serialized per Blob part
const ANNOTATIONS = ['status', 'reason', 'suggestion', 'message', 'depth'];

/** With the guard on, a leading ' makes a spreadsheet show a formula cell as text instead of running it. */
function guardCells(cells) {
  for (let k = 0; k < cells.length; k++) cells[k] = guardFormula(cells[k]);
  return cells;
}

/** The number of rows checked so far. */
function checkedRows(job) {
  return job.sets.length === 0 ? 0 : job.sets.at(-1).from + job.sets.at(-1).set.length;
}

/**
 * Calls `each(cells, i)` for every record after the header, in order: `i` the
 * checked row, or -1 (no address). After each batch `between(done, total)`
 * runs (progress in rows or characters) and the walk yields, so the page's
 * requests get in; it stops early when `between` answers false.
 */
async function walkRecords(job, each, between) {
  const checked = checkedRows(job);
  let i = 0;
  if (job.format === 'lines') {
    while (i < checked) {
      for (const end = Math.min(checked, i + EXPORT_BATCH); i < end; i++) each([job.emails[i]], i);
      if (!(await between(i, checked))) return;
    }
    return;
  }
  let first = true;
  await new Promise((resolve, reject) => {
    Papa.parse(job.text, {
      delimiter: job.delimiter,
      newline: job.newline,
      chunkSize: CHUNK_CHARS,
      chunk(results, parser) {
        for (const row of results.data) {
          if (isBlankRow(row)) continue;
          if (first) {
            first = false;
            if (job.hasHeader) continue;
          }
          if (i >= checked) { parser.abort(); return; }
          if (isEmptyCell(row[job.column] ?? '')) { each(row, -1); continue; }
          each(row, i++);
        }
        parser.pause();
        between(results.meta.cursor, job.text.length).then((go) => (go ? parser.resume() : parser.abort()), reject);
      },
      complete: () => resolve(),
      error: (e) => reject(e),
    });
  });
}

function baseName(name) {
  const base = (name ?? 'list').replace(/\.[A-Za-z0-9]+$/, '').replace(/[\\/:*?"<>|]+/g, '-').trim();
  return base || 'list';
}

/**
 * The export `msg.kind` of the current list: { blob, name, rows }, or
 * { cancelled } when cancelled or replaced; `msg.guard`: formulas defused.
 * Built a batch at a time with `export-progress` messages between batches.
 */
async function exportList(job, msg) {
  const { kind, guard, req } = msg;
  const keep = {
    clean: ['valid'],
    'clean-risky': ['valid', 'risky'],
    suppression: ['invalid'],
  }[kind];
  const keepCodes = new Uint8Array(STATUSES.length);
  for (const name of keep ?? []) keepCodes[STATUSES.indexOf(name)] = 1;
  if (!keep && kind !== 'annotated') throw new Error(`unknown export ${kind}`);
  const state = { req, cancelled: false };
  job.export = state;
  const csv = job.format === 'csv' || kind === 'annotated';
  const delimiter = job.format === 'csv' ? job.delimiter : ',';
  const width = job.format === 'csv' ? job.names.length : 1;
  const parts = [];
  let batch = [];
  let rows = 0;
  const flush = () => {
    if (batch.length === 0) return;
    if (guard) for (const cells of batch) guardCells(cells);
    parts.push(csv ? `${Papa.unparse(batch, { delimiter, newline: '\r\n' })}\r\n` : `${batch.map((r) => r[0]).join('\n')}\n`);
    batch = [];
  };
  if (kind === 'annotated') {
    const names = job.format === 'csv' ? job.names : ['email'];
    batch.push([...names, ...ANNOTATIONS]);
  } else if (job.format === 'csv' && job.hasHeader) {
    batch.push(job.names.slice());
  }
  const between = async (done, total) => {
    if (current === job && !state.cancelled) postMessage({ type: 'export-progress', req, job: job.job, done, total });
    await yieldNow();
    return current === job && !state.cancelled;
  };
  await walkRecords(job, (cells, i) => {
    if (kind === 'annotated') {
      const v = i >= 0 ? verdictOf(job, i) : check(cells[job.column] ?? '');
      const out = Array.from({ length: Math.max(width, cells.length) }, (_, k) => cells[k] ?? '');
      if (i >= 0) out[job.format === 'csv' ? job.column : 0] = job.emails[i];
      out.push(v.status, v.reason, v.suggestion ?? '', v.message ?? '', v.depth);
      batch.push(out);
    } else {
      if (i < 0 || keepCodes[job.status[i]] !== 1) return;
      if (csv) {
        const out = cells.slice();
        out[job.column] = job.emails[i];
        batch.push(out);
      } else {
        batch.push([job.emails[i]]);
      }
    }
    rows++;
    if (batch.length >= EXPORT_BATCH) flush();
  }, between);
  if (job.export === state) job.export = null;
  if (state.cancelled || current !== job) return { cancelled: true };
  flush();
  const type = csv ? 'text/csv;charset=utf-8' : 'text/plain;charset=utf-8';
  const suffix = { clean: 'clean', 'clean-risky': 'clean-with-risky', suppression: 'suppression', annotated: 'annotated' }[kind];
  const name = `${baseName(job.name)}-${suffix}.${csv ? 'csv' : 'txt'}`;
  return { blob: new Blob(parts, { type }), name, rows };
}


// ---------------------------------------------------------------------------
// Deep check: the rows still valid or unknown go to an edge API (POST
// /v1/check) in batches, a few requests at a time; a 429 waits Retry-After.
// This is the only time addresses leave the browser.

const DEEP_BATCH = 10; // a publishable key's batch limit at the edge API
const DEEP_CONCURRENCY = 4;
const DEEP_MAX_WAITS = 20; // 429s in a row for one batch before giving up

function checkUrl(endpoint) {
  const url = new URL(endpoint);
  if (!/\/v1\/check\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/check`;
  return url.href;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); reject(new DOMException('cancelled', 'AbortError')); }, { once: true });
  });
}

async function deepCheck(job, msg) {
  if (job.deep && !job.deep.finished) return;
  const deep = { cancelled: false, finished: false, abort: new AbortController(), done: 0, total: 0, waits: 0 };
  job.deep = deep;
  const post = (m, transfer) => { if (current === job) postMessage({ job: job.job, ...m }, transfer ?? []); };
  let error = null;
  try {
    const url = checkUrl(msg.endpoint);
    const checked = checkedRows(job);
    const ids = [];
    const valid = STATUSES.indexOf('valid');
    const unknown = STATUSES.indexOf('unknown');
    for (let i = 0; i < checked; i++) {
      if (job.status[i] === valid || job.status[i] === unknown) ids.push(i);
    }
    deep.total = ids.length;
    post({ type: 'deep-progress', done: 0, total: deep.total, waiting: 0 });
    const batches = [];
    for (let k = 0; k < ids.length; k += DEEP_BATCH) batches.push(ids.slice(k, k + DEEP_BATCH));
    let next = 0;
    const lane = async () => {
      while (!deep.cancelled && next < batches.length) {
        const batch = batches[next++];
        const results = await send(url, msg, batch.map((i) => job.emails[i]), deep, post);
        merge(job, batch, results);
        deep.done += batch.length;
        // Another lane may still be waiting out a 429: keep saying so.
        post({ type: 'deep-progress', done: deep.done, total: deep.total, waiting: waitingSeconds(deep) });
      }
    };
    await Promise.all(Array.from({ length: DEEP_CONCURRENCY }, lane));
  } catch (e) {
    if (!deep.cancelled) {
      error = e.message;
      deep.cancelled = true;
      deep.abort.abort();
    }
  }
  deep.finished = true;
  post({ type: 'deep-done', done: deep.done, total: deep.total, cancelled: deep.cancelled && !error, error });
}

/** Seconds until the last lane waiting out a 429 goes again; 0 when none waits. */
function waitingSeconds(deep) {
  if (!(deep.waitingLanes > 0)) return 0;
  return Math.max(1, Math.ceil((deep.waitUntil - Date.now()) / 1000));
}

/** One batch to the API, again after each 429 (waiting Retry-After). */
async function send(url, msg, emails, deep, post) {
  for (let waits = 0; ; waits++) {
    let res;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${msg.key}` },
        body: JSON.stringify({ emails, options: msg.options ?? {} }),
        signal: deep.abort.signal,
      });
    } catch (e) {
      if (deep.cancelled) throw e;
      throw new Error(`the API could not be reached (${e.message}); check the address and that it allows this page's origin`);
    }
    const body = await res.json().catch(() => null);
    if (res.status === 429 && waits < DEEP_MAX_WAITS) {
      // prebounce's edge API exposes Retry-After to listed origins; the
      // message ("retry in N s") is the fallback for a proxy that drops it.
      const header = Number(res.headers.get('Retry-After'));
      const said = Number(/retry in (\d+) s/.exec(body?.error?.message ?? '')?.[1]);
      const after = header > 0 ? header : said;
      const seconds = Number.isFinite(after) && after > 0 ? after : Math.min(60, 2 ** waits);
      deep.waits++;
      deep.waitingLanes = (deep.waitingLanes ?? 0) + 1;
      deep.waitUntil = Math.max(deep.waitUntil ?? 0, Date.now() + seconds * 1000);
      post({ type: 'deep-progress', done: deep.done, total: deep.total, waiting: waitingSeconds(deep), waits: deep.waits });
      try {
        await sleep(seconds * 1000, deep.abort.signal);
      } finally {
        deep.waitingLanes--;
      }
      continue;
    }
    if (!res.ok) {
      const why = body?.error?.message ?? `HTTP ${res.status}`;
      throw new Error(res.status === 401 ? `the key was refused (${why})` : why);
    }
    if (!Array.isArray(body?.results) || body.results.length !== emails.length) throw new Error('the API answered something unexpected');
    return body.results;
  }
}

/** The API's verdicts replace the rows' own; the page gets their codes. */
function merge(job, ids, verdicts) {
  ids.forEach((i, k) => job.overrides.set(i, verdicts[k]));
  if (current === job) postCodes('deep-chunk', job.job, codesOf(ids, ids.map((i) => setStatus(job, i))));
}
