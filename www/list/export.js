// The downloads (clean list, suppression list, annotated CSV): built here, a
// batch of rows at a time, as the parts of a Blob (the page gets the Blob,
// not a string, and downloads it through an object URL), yielding between
// batches so the page's requests get in.
import Papa from '../vendor/papaparse.mjs';
import { check, guardFormula, STATUSES } from '/pkg/index.js';
import { CHUNK_CHARS, checkedRows, isBlankRow, isEmptyCell, verdictOf, yieldNow } from './job.js';

const EXPORT_BATCH = 5000; // rows serialized per Blob part
const ANNOTATIONS = ['status', 'reason', 'suggestion', 'message', 'depth'];

/** With the guard on, a leading ' makes a spreadsheet show a formula cell as text instead of running it. */
function guardCells(cells) {
  for (let k = 0; k < cells.length; k++) cells[k] = guardFormula(cells[k]);
  return cells;
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
export async function exportList(job, msg) {
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
    if (!job.replaced && !state.cancelled) postMessage({ type: 'export-progress', req, job: job.job, done, total });
    await yieldNow();
    return !job.replaced && !state.cancelled;
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
  if (state.cancelled || job.replaced) return { cancelled: true };
  flush();
  const type = csv ? 'text/csv;charset=utf-8' : 'text/plain;charset=utf-8';
  const suffix = { clean: 'clean', 'clean-risky': 'clean-with-risky', suppression: 'suppression', annotated: 'annotated' }[kind];
  const name = `${baseName(job.name)}-${suffix}.${csv ? 'csv' : 'txt'}`;
  return { blob: new Blob(parts, { type }), name, rows };
}
