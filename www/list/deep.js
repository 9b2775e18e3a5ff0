// The deep check: the rows still valid or unknown go to the edge API (POST
// /v1/check, through the package's edge client) in batches, a few requests
// at a time, a 429 waited out. This is the only time addresses leave the
// browser.
import { STATUSES } from '/pkg/index.js';
import { checkUrl, fetchVerdicts } from '/pkg/edge.js';
import { checkedRows, postFor } from './job.js';
import { codesOf, postCodes, setStatus } from './rows.js';

const DEEP_BATCH = 10; // a publishable key's batch limit at the edge API
const DEEP_CONCURRENCY = 4;
const DEEP_MAX_WAITS = 20; // 429s in a row for one batch before giving up

/** Sends the rows still valid or unknown to the edge API (`msg`: endpoint, key, options); their verdicts replace the rows' own. */
export async function deepCheck(job, msg) {
  if (job.deep && !job.deep.finished) return;
  const deep = { cancelled: false, finished: false, abort: new AbortController(), done: 0, total: 0, waits: 0 };
  job.deep = deep;
  const post = (m, transfer) => postFor(job, m, transfer);
  let error = null;
  try {
    const url = checkUrl(msg.endpoint);
    const hooks = waiting(deep, post);
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
        const results = await fetchVerdicts({
          url, key: msg.key, emails: batch.map((i) => job.emails[i]), options: msg.options, signal: deep.abort.signal, maxWaits: DEEP_MAX_WAITS, ...hooks,
        });
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

/** The edge client's onWait and onResume for `deep`: the waits counted, the page told how long. */
function waiting(deep, post) {
  return {
    onWait(seconds) {
      deep.waits++;
      deep.waitingLanes = (deep.waitingLanes ?? 0) + 1;
      deep.waitUntil = Math.max(deep.waitUntil ?? 0, Date.now() + seconds * 1000);
      post({ type: 'deep-progress', done: deep.done, total: deep.total, waiting: waitingSeconds(deep), waits: deep.waits });
    },
    onResume() {
      deep.waitingLanes--;
    },
  };
}

/** The API's verdicts replace the rows' own; the page gets their codes. */
function merge(job, ids, verdicts) {
  ids.forEach((i, k) => job.overrides.set(i, verdicts[k]));
  if (!job.replaced) postCodes('deep-chunk', job.job, codesOf(ids, ids.map((i) => setStatus(job, i))));
}
