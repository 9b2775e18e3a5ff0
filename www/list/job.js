// One list in the worker, as every part reads it: the rows checked so far
// and their verdicts, posting to the page while it is the current list (a
// new load replaces it: job.replaced), and yielding between batches.

export const CHUNK_CHARS = 512 * 1024; // Papa Parse chunk size (characters)

/** A blank line as Papa Parse returns it. */
export const isBlankRow = (row) => row.length === 1 && row[0] === '';
// Rust's is_ascii_whitespace: what the core trims before calling an address empty.
export const isEmptyCell = (cell) => /^[\t\n\f\r ]*$/.test(cell);

/** Posts `m` to the page for list `job`, unless a newer list replaced it. */
export function postFor(job, m, transfer) {
  if (!job.replaced) postMessage({ job: job.job, ...m }, transfer ?? []);
}

// Yields to the event loop (cancel, rows and search messages get in) without
// setTimeout's clamping of nested timers.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();

export function yieldNow() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

/** The number of rows checked so far. */
export function checkedRows(job) {
  return job.sets.length === 0 ? 0 : job.sets.at(-1).from + job.sets.at(-1).set.length;
}

/** The verdict of checked row `i`. */
export function verdictOf(job, i) {
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
