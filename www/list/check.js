// Reading and checking a list: the format (CSV or one address a line), the
// header and the address column (the CLI's rules, from the package), Papa
// Parse in chunks, and checkMany per chunk, whose typed arrays go to the page
// in the transfer list. The full disposable data is loaded before any check.
import Papa from '../vendor/papaparse.mjs';
import {
  init, loadDisposableData, disposableStatus, checkMany, sniffDelimiter, detectColumns, invalidEncodingVerdict,
} from '/pkg/index.js';
import { ListError, checkKind, decode, extension, lineStartsOf, upperBound } from './decode.js';
import { CHUNK_CHARS, isBlankRow, isEmptyCell, postFor, yieldNow } from './job.js';
import { writeCodes } from './rows.js';

// The CSV rules (delimiter, header, address column, the verdict for a line
// that is not UTF-8, the formula guard) are prebounce-core's `list` module,
// through the package: the CLI's own.
const HEAD_LINES = 200; // lines parsed for the head: room for the core's first 50 records among blank lines
const LINES_PER_CHUNK = 20_000; // for one-address-a-line lists
const MAX_REPORTED = 1000; // line numbers kept per kind of problem

// The module (needed to read a list's head), then the full disposable list
// (needed before any check), each loaded once.
const loaded = init();
export const ready = (async () => {
  await loaded;
  try {
    const status = await loadDisposableData();
    return { ...status, error: null };
  } catch (e) {
    return { ...disposableStatus(), error: e.message };
  }
})();

/** Whether the first line is a delimited header with a column named like "email". */
function namesEmailColumn(text) {
  const first = text.slice(0, Math.min(text.length, 4096)).split(/\r?\n|\r/, 1)[0];
  const delimiter = sniffDelimiter(first);
  if (!first.includes(delimiter)) return false;
  return detectColumns(Papa.parse(first, { delimiter }).data.slice(0, 1)).byName;
}

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

/** A new list, number `id`, before anything is read. */
export function newJob(id) {
  return {
    job: id,
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
    replaced: false, // a newer list took its place: nothing more is posted for it
  };
}

/** Reads, decodes and checks the list of message `msg` into `job` (newJob), posting as it goes. */
export async function load(job, msg) {
  const started = performance.now();
  const post = (m, transfer) => postFor(job, m, transfer);

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
