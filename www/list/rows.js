// What the page reads of a checked list's rows: the rows on screen (their
// cells parsed again from the text), suggestions applied and undone, and the
// per-row codes (status, reason, flags, errors) it keeps, moved not copied.
import Papa from '../vendor/papaparse.mjs';
import { check, ERROR_CODES, FLAGS, REASONS, STATUSES } from '/pkg/index.js';
import { checkedRows, verdictOf } from './job.js';

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

/** The rows `ids` as the table shows them: line, address, verdict fields, and for a CSV the other cells. */
export function rowsOf(job, ids) {
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
export function applySuggestions(job, ids) {
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
export function undoSuggestions(job, ids) {
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
export function setStatus(job, i) {
  const v = verdictOf(job, i);
  job.status[i] = STATUSES.indexOf(v.status);
  return v;
}

/** The page's per-row codes (and depths) of `verdicts` for rows `ids`. */
export function codesOf(ids, verdicts) {
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
export function writeCodes({ status, reason, flags, errors }, k, v) {
  status[k] = STATUSES.indexOf(v.status);
  reason[k] = REASONS.indexOf(v.reason);
  flags[k] = Object.entries(FLAGS).reduce((bits, [name, bit]) => (v.flags?.[name] ? bits | bit : bits), 0);
  errors[k] = v.error ? ERROR_CODES.indexOf(v.error.code) : 255;
}

/** Sends codesOf()'s arrays to the page (for list number `job`), moved, not copied. */
export function postCodes(type, job, out) {
  postMessage({ type, job, ...out }, [out.ids.buffer, out.status.buffer, out.reason.buffer, out.flags.buffer, out.errors.buffer]);
}
