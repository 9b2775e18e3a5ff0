// The client of the prebounce edge API's `/v1/check`, written once for the
// form helper (form.js: one address on blur, GET) and the list checker page
// (www/list/deep.js: batches, POST, from its worker). It moves requests and
// answers; the verdicts are the edge's, and what to do with them the caller's.
import { STATUSES } from './codes.js';

// The longest wait for one 429: the back-off's ceiling, and the cap on a
// Retry-After (or "retry in N s") however long it asks for, so a misbehaving
// proxy cannot stall the page for hours. The edge API's limits are per
// minute, so it never asks for more.
const MAX_WAIT_SECONDS = 60;
const DEFAULT_MAX_WAITS = 3; // fetchVerdicts' 429s waited out when the caller does not say
const noop = () => {};

/** The `Authorization` header for a key (a publishable `pk_` one in a page). */
function authorization(key) {
  return `Bearer ${key}`;
}

/**
 * GET `endpoint/v1/check?email=…` (with the check options as `name=true|false`
 * parameters): the edge API's verdict for one address, or null for any
 * failure — network error, HTTP error, abort or timeout through `signal`, a
 * body that is not a verdict — so the caller keeps its own. `endpoint` is the
 * API's base URL without a trailing slash, used as given: unlike checkUrl,
 * nothing is normalised, so `https://api.example/` asks for `//v1/check`
 * (which the edge does not serve: null). `fetch` is the window's own by
 * default; the form helper passes it explicitly.
 */
export async function fetchVerdict({ endpoint, key, email, options, signal, fetch = globalThis.fetch }) {
  let url = `${endpoint}/v1/check?email=${encodeURIComponent(email)}`;
  for (const [name, on] of Object.entries(options ?? {})) {
    url += `&${encodeURIComponent(name)}=${on ? 'true' : 'false'}`;
  }
  try {
    const response = await fetch(url, { headers: { Authorization: authorization(key) }, signal });
    if (!response.ok) return null;
    const verdict = await response.json();
    return isVerdict(verdict) ? verdict : null;
  } catch {
    return null; // network error, timeout, abort, bad JSON
  }
}

/**
 * The batch check's URL: `endpoint` itself when it ends in `/v1/check`, else
 * with it added after any trailing slashes (which fetchVerdict, by contrast,
 * keeps). Throws a TypeError for what is not an absolute URL.
 */
export function checkUrl(endpoint) {
  const url = new URL(endpoint);
  if (!/\/v1\/check\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/check`;
  return url.href;
}

/**
 * POST `url` (see checkUrl) with `{ emails, options }`: the edge API's
 * verdicts for `emails` (at most a key's batch limit), in order. A 429 is
 * waited out and the batch sent again, up to `maxWaits` times in a row
 * (default 3; 0 never waits): Retry-After, else the "retry in N s" of its
 * error message (for a proxy that drops the header), else 1, 2, 4… s — each
 * wait at most 60 s (MAX_WAIT_SECONDS), whatever the server asks for.
 * `onWait(seconds)` is told when a wait begins and `onResume()` when it
 * ends, aborted or not; both are optional (default: do nothing). `signal`
 * is optional too; when it aborts, during a request or a wait, the call
 * rejects at once. Uses the global `fetch` (no `fetch` parameter, unlike
 * fetchVerdict: the list page calls it from its worker).
 *
 * Throws an Error whose message the person can act on (unreachable, key
 * refused, the API's own error message, "the API answered something
 * unexpected" for results that are not one verdict per address); after
 * `signal` aborts, whatever the fetch threw, or an AbortError from a wait.
 */
export async function fetchVerdicts({ url, key, emails, options, signal, maxWaits = DEFAULT_MAX_WAITS, onWait = noop, onResume = noop }) {
  for (let waits = 0; ; waits++) {
    let res;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: authorization(key) },
        body: JSON.stringify({ emails, options: options ?? {} }),
        signal,
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new Error(`the API could not be reached (${e.message}); check the address and that it allows this page's origin`);
    }
    const body = await res.json().catch(() => null);
    if (res.status === 429 && waits < maxWaits) {
      const seconds = retryAfter(res, body, waits);
      onWait(seconds);
      try {
        await sleep(seconds * 1000, signal);
      } finally {
        onResume();
      }
      continue;
    }
    if (!res.ok) {
      const why = body?.error?.message ?? `HTTP ${res.status}`;
      throw new Error(res.status === 401 ? `the key was refused (${why})` : why);
    }
    if (!Array.isArray(body?.results) || body.results.length !== emails.length || !body.results.every(isVerdict)) {
      throw new Error('the API answered something unexpected');
    }
    return body.results;
  }
}

/** Seconds to wait after the `waits`-th 429 in a row (0 for the first), at most MAX_WAIT_SECONDS. */
function retryAfter(res, body, waits) {
  // prebounce's edge API exposes Retry-After to listed origins; the
  // message ("retry in N s") is the fallback for a proxy that drops it.
  const header = Number(res.headers.get('Retry-After'));
  const said = Number(/retry in (\d+) s/.exec(body?.error?.message ?? '')?.[1]);
  const after = Number.isFinite(header) && header > 0 ? header : said;
  const seconds = Number.isFinite(after) && after > 0 ? after : 2 ** waits;
  return Math.min(MAX_WAIT_SECONDS, seconds);
}

/**
 * Resolves after `ms`, or rejects with an AbortError as soon as `signal`
 * (optional) aborts — at once when it already has. Its abort listener is
 * removed either way, so a long-lived signal does not collect one per wait.
 */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const cancelled = () => new DOMException('cancelled', 'AbortError');
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(cancelled());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Whether an answer has a verdict's shape (a known status, a reason, a message and suggestion that are strings or null). */
function isVerdict(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) &&
    STATUSES.includes(v.status) && typeof v.reason === 'string' &&
    (v.message === null || v.message === undefined || typeof v.message === 'string') &&
    (v.suggestion === null || v.suggestion === undefined || typeof v.suggestion === 'string');
}
