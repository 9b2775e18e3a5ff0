// The edge API's browser client (crates/wasm/js/edge.js, as built into the
// package) against a real HTTP server on 127.0.0.1: what it sends (URL,
// query, headers, body) and what it makes of each answer — a verdict, a
// non-verdict, an HTTP error, a 429 to wait out, an unreachable server.
// The edge API's own behaviour is tested in worker/; here it is played by
// handlers that answer as it does (worker/src/handler.rs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { getEventListeners } from 'node:events';
import { dist, requireBuilt } from './helpers.mjs';

requireBuilt();
const { fetchVerdict, fetchVerdicts, checkUrl } = await import(path.join(dist, 'edge.js'));

const KEY = 'pk_test_0123456789';

// --- the server ---------------------------------------------------------------
// Each test registers its handler under a base path of its own (`/r1`, `/r2`
// …) and gets back that base as the endpoint, plus the requests it received.

let server = null;
let origin = null;
/** The address of a port nothing listens on (a server opened, then closed). */
let closedOrigin = null;
const routes = new Map();
let nextRoute = 0;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, origin);
      const base = `/${url.pathname.split('/')[1]}`;
      const route = routes.get(base);
      if (route === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'not_found', message: 'no such route' } }));
        return;
      }
      const seen = {
        method: req.method,
        path: url.pathname.slice(base.length),
        search: url.search,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      route.requests.push(seen);
      route.handler(seen, res, route.requests.length - 1);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;

  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedOrigin = `http://127.0.0.1:${closed.address().port}`;
  await new Promise((resolve) => closed.close(resolve));
});

after(async () => {
  server.closeAllConnections(); // undici keeps connections alive; a hanging handler may hold one
  await new Promise((resolve) => server.close(resolve));
});

/** Registers `handler(seen, res, index)`: `{ endpoint, requests }`. */
function route(handler) {
  const base = `/r${++nextRoute}`;
  const r = { handler, requests: [] };
  routes.set(base, r);
  return { endpoint: `${origin}${base}`, requests: r.requests };
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** The handler answering each request in turn with `answers[i]` (the last one repeated): [status, body, headers?]. */
function answers(...list) {
  return (seen, res, i) => {
    const [status, body, headers] = list[Math.min(i, list.length - 1)];
    json(res, status, typeof body === 'function' ? body(seen) : body, headers);
  };
}

/** A verdict as the edge API sends one. */
function verdict(email, fields = {}) {
  return { input: email, address: email, status: 'valid', reason: 'ok', depth: 'smtp', message: null, suggestion: null, ...fields };
}

function apiError(code, message) {
  return { error: { code, message } };
}

// --- fetchVerdict: GET, one address, null for any failure -----------------------

test('fetchVerdict sends GET endpoint/v1/check?email=… with the options and the key as a Bearer header', async () => {
  const email = 'jörg+tag&x=1@Bücher.example';
  const { endpoint, requests } = route(answers([200, verdict(email)]));
  const got = await fetchVerdict({ endpoint, key: KEY, email, options: { allow_smtputf8: true, 'skip smtp': false } });
  assert.deepEqual(got, verdict(email));
  assert.equal(requests.length, 1);
  const [seen] = requests;
  assert.equal(seen.method, 'GET');
  assert.equal(seen.path, '/v1/check');
  assert.equal(seen.search, `?email=${encodeURIComponent(email)}&allow_smtputf8=true&skip%20smtp=false`);
  // Decoded as the edge decodes it: the address intact, `&` and `+` included.
  assert.deepEqual([...seen.query], [['email', email], ['allow_smtputf8', 'true'], ['skip smtp', 'false']]);
  assert.equal(seen.headers.authorization, `Bearer ${KEY}`);
  assert.equal(seen.body, '');
});

test('fetchVerdict without options sends the address alone; any truthy option is true, any falsy one false', async () => {
  const { endpoint, requests } = route(answers([200, (seen) => verdict(seen.query.get('email'))]));
  await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com' });
  await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com', options: null });
  await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com', options: { a: 1, b: 0, c: 'yes', d: undefined } });
  assert.deepEqual(requests.map((r) => r.search), [
    '?email=a%40example.com',
    '?email=a%40example.com',
    '?email=a%40example.com&a=true&b=false&c=true&d=false',
  ]);
});

test('fetchVerdict returns every verdict shape the edge sends: each status, message and suggestion as strings, null or absent', async () => {
  const bodies = [
    verdict('a@example.com'),
    verdict('b@example.com', { status: 'invalid', reason: 'mailbox_disabled', message: 'The mailbox has been disabled.' }),
    verdict('c@gmial.com', { status: 'risky', reason: 'possible_typo', message: 'did you mean c@gmail.com?', suggestion: 'c@gmail.com' }),
    { status: 'unknown', reason: 'timeout' }, // message and suggestion absent
  ];
  const { endpoint } = route((seen, res, i) => json(res, 200, bodies[i]));
  for (const body of bodies) {
    assert.deepEqual(await fetchVerdict({ endpoint, key: KEY, email: 'x@example.com' }), body);
  }
});

test('fetchVerdict returns null for a 200 whose body is not a verdict', async () => {
  const bodies = [
    JSON.stringify({ ...verdict('a@example.com'), status: 'deliverable' }), // not a known status
    JSON.stringify({ ...verdict('a@example.com'), reason: undefined }), // no reason
    JSON.stringify({ ...verdict('a@example.com'), reason: 7 }),
    JSON.stringify({ ...verdict('a@example.com'), message: 42 }),
    JSON.stringify({ ...verdict('a@example.com'), suggestion: ['a@example.org'] }),
    JSON.stringify([verdict('a@example.com')]), // an array (the batch's shape)
    JSON.stringify({ results: [verdict('a@example.com')] }),
    'null',
    '"valid"',
    '{"status": "valid", "reason": "ok"', // truncated JSON
    '<html>Bad gateway</html>',
    '',
  ];
  const { endpoint, requests } = route((seen, res, i) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(bodies[i]);
  });
  for (const body of bodies) {
    assert.equal(await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com' }), null, `for the body ${body}`);
  }
  assert.equal(requests.length, bodies.length);
});

test('fetchVerdict returns null for an HTTP error, even one whose body looks like a verdict', async () => {
  for (const [status, body] of [
    [500, verdict('a@example.com')],
    [500, apiError('misconfigured', 'the service is misconfigured: no keys')],
    [401, apiError('unauthorized', 'this key is not valid')],
    [429, apiError('rate_limited', 'more than 10 requests a minute with this key; retry in 1 s')],
    [404, apiError('not_found', 'no such route: see /openapi.json')],
  ]) {
    const { endpoint, requests } = route(answers([status, body, status === 429 ? { 'retry-after': '1' } : {}]));
    assert.equal(await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com' }), null, `for HTTP ${status}`);
    assert.equal(requests.length, 1, `HTTP ${status} is not retried`);
  }
});

test('fetchVerdict returns null when the server cannot be reached', async () => {
  assert.equal(await fetchVerdict({ endpoint: closedOrigin, key: KEY, email: 'a@example.com' }), null);
  assert.equal(await fetchVerdict({ endpoint: 'http://127.0.0.1:0', key: KEY, email: 'a@example.com' }), null);
});

test('fetchVerdict returns null when its signal aborts a request the server never answers', async () => {
  const { endpoint, requests } = route(() => {}); // never answers (after() closes the connection)
  const started = Date.now();
  assert.equal(await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com', signal: AbortSignal.timeout(150) }), null);
  assert.ok(Date.now() - started < 5000, 'the abort ends the wait');
  assert.equal(requests.length, 1);
  // And an already-aborted signal sends nothing.
  const aborted = new AbortController();
  aborted.abort();
  assert.equal(await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com', signal: aborted.signal }), null);
  assert.equal(requests.length, 1);
});

test('fetchVerdict uses the fetch it is given (the form passes the window\'s own)', async () => {
  const { endpoint, requests } = route(answers([200, verdict('a@example.com')]));
  const calls = [];
  const fetch = (url, init) => {
    calls.push({ url, init });
    return globalThis.fetch(url, init);
  };
  const signal = new AbortController().signal;
  assert.deepEqual(await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com', signal, fetch }), verdict('a@example.com'));
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, `${endpoint}/v1/check?email=a%40example.com`);
  assert.deepEqual(calls[0].init.headers, { Authorization: `Bearer ${KEY}` });
  assert.equal(calls[0].init.signal, signal);
  assert.equal(requests.length, 1);
  // A fetch that throws synchronously is a failure like any other.
  assert.equal(await fetchVerdict({ endpoint, key: KEY, email: 'a@example.com', fetch: () => { throw new TypeError('no'); } }), null);
});

// --- checkUrl -------------------------------------------------------------------

test('checkUrl adds /v1/check to a base URL, with or without trailing slashes', () => {
  assert.equal(checkUrl('https://api.example.com'), 'https://api.example.com/v1/check');
  assert.equal(checkUrl('https://api.example.com/'), 'https://api.example.com/v1/check');
  assert.equal(checkUrl('https://api.example.com/prebounce'), 'https://api.example.com/prebounce/v1/check');
  assert.equal(checkUrl('https://api.example.com/prebounce/'), 'https://api.example.com/prebounce/v1/check');
  assert.equal(checkUrl('https://api.example.com/prebounce//'), 'https://api.example.com/prebounce/v1/check');
  assert.equal(checkUrl('http://127.0.0.1:8787'), 'http://127.0.0.1:8787/v1/check');
});

test('checkUrl keeps a URL that already ends in /v1/check (with or without its slash)', () => {
  assert.equal(checkUrl('https://api.example.com/v1/check'), 'https://api.example.com/v1/check');
  assert.equal(checkUrl('https://api.example.com/v1/check/'), 'https://api.example.com/v1/check/');
  assert.equal(checkUrl('https://api.example.com/prebounce/v1/check'), 'https://api.example.com/prebounce/v1/check');
  // Only the whole last segments count: /v1/checks is a base like any other.
  assert.equal(checkUrl('https://api.example.com/v1/checks'), 'https://api.example.com/v1/checks/v1/check');
});

test('checkUrl throws for what is not an absolute URL', () => {
  assert.throws(() => checkUrl('api.example.com'), TypeError);
  assert.throws(() => checkUrl(''), TypeError);
});

test('checkUrl\'s URL reaches the server\'s /v1/check, whichever form the endpoint had', async () => {
  const { endpoint, requests } = route(answers([200, (seen) => ({ results: JSON.parse(seen.body).emails.map((e) => verdict(e)) })]));
  for (const given of [endpoint, `${endpoint}/`, `${endpoint}/v1/check`]) {
    const results = await fetchVerdicts({ url: checkUrl(given), key: KEY, emails: ['a@example.com'] });
    assert.deepEqual(results, [verdict('a@example.com')], `for ${given}`);
  }
  assert.deepEqual(requests.map((r) => `${r.method} ${r.path}`), ['POST /v1/check', 'POST /v1/check', 'POST /v1/check']);
});

// --- fetchVerdicts: POST, a batch, readable errors ---------------------------------

/** The edge's batch answer: a verdict per address, in order. */
const echo = (seen) => ({ results: JSON.parse(seen.body).emails.map((e, i) => verdict(e, { reason: `r${i}` })) });

test('fetchVerdicts POSTs { emails, options } as JSON with the key and returns the results in order', async () => {
  const { endpoint, requests } = route(answers([200, echo]));
  const url = checkUrl(endpoint);
  const emails = ['c@example.com', 'a@example.com', 'zoë@example.com', 'a@example.com'];
  const options = { allow_smtputf8: false, skip_smtp: true };
  const results = await fetchVerdicts({ url, key: KEY, emails, options });
  assert.deepEqual(results, emails.map((e, i) => verdict(e, { reason: `r${i}` })));
  assert.equal(requests.length, 1);
  const [seen] = requests;
  assert.equal(seen.method, 'POST');
  assert.equal(seen.path, '/v1/check');
  assert.equal(seen.search, '');
  assert.equal(seen.headers.authorization, `Bearer ${KEY}`);
  assert.equal(seen.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(seen.body), { emails, options });
});

test('fetchVerdicts sends options: {} when none are given', async () => {
  const { endpoint, requests } = route(answers([200, echo]));
  await fetchVerdicts({ url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'] });
  await fetchVerdicts({ url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'], options: null });
  assert.deepEqual(requests.map((r) => JSON.parse(r.body)), [
    { emails: ['a@example.com'], options: {} },
    { emails: ['a@example.com'], options: {} },
  ]);
});

test('fetchVerdicts waits out a 429 for its Retry-After, then sends the same batch again', async () => {
  const { endpoint, requests } = route(answers(
    [429, apiError('rate_limited', 'more than 10 requests a minute with this key; retry in 30 s'), { 'retry-after': '1' }],
    [200, echo],
  ));
  const events = [];
  const emails = ['a@example.com', 'b@example.com'];
  const results = await fetchVerdicts({
    url: checkUrl(endpoint), key: KEY, emails, options: { skip_smtp: true },
    signal: new AbortController().signal, maxWaits: 3,
    onWait: (s) => events.push(['wait', s, Date.now()]),
    onResume: () => events.push(['resume', Date.now()]),
  });
  assert.deepEqual(results, emails.map((e, i) => verdict(e, { reason: `r${i}` })));
  assert.equal(requests.length, 2);
  assert.equal(requests[1].body, requests[0].body, 'the same batch is sent again');
  assert.equal(requests[1].headers.authorization, `Bearer ${KEY}`);
  // The header wins over the message's "retry in 30 s".
  assert.deepEqual(events.map((e) => e.slice(0, e[0] === 'wait' ? 2 : 1)), [['wait', 1], ['resume']]);
  const waited = requests[1].at - requests[0].at;
  assert.ok(waited >= 950, `waited ${waited} ms for a Retry-After of 1 s`);
  assert.ok(waited < 5000, `waited ${waited} ms for a Retry-After of 1 s`);
});

/**
 * Calls fetchVerdicts against a server answering 429s (each with `headers`
 * and `message`), aborting `abortAfter` ms into the wait number `abortOn`:
 * the seconds told to onWait, how many resumes, and the rejection.
 */
async function waitsBeforeAbort({ headers = {}, message, abortOn = 1, abortAfter = 20, maxWaits = 5 }) {
  const { endpoint, requests } = route(answers([429, message === undefined ? '' : apiError('rate_limited', message), headers]));
  const controller = new AbortController();
  const waits = [];
  let resumes = 0;
  const error = await fetchVerdicts({
    url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'], signal: controller.signal, maxWaits,
    onWait: (s) => {
      waits.push(s);
      if (waits.length === abortOn) setTimeout(() => controller.abort(), abortAfter);
    },
    onResume: () => resumes++,
  }).then(() => null, (e) => e);
  return { waits, resumes, error, requests: requests.length };
}

test('fetchVerdicts takes the wait from "retry in N s" when a 429 has no Retry-After (a proxy dropped it)', async () => {
  const r = await waitsBeforeAbort({ message: 'more than 10 requests a minute with this key; retry in 17 s' });
  assert.deepEqual(r.waits, [17]);
  assert.equal(r.resumes, 1, 'onResume follows an aborted wait too');
  assert.equal(r.error?.name, 'AbortError');
  assert.equal(r.requests, 1);
});

test('fetchVerdicts backs off 1 s, then 2 s when a 429 says nothing of when to retry', async () => {
  const r = await waitsBeforeAbort({ abortOn: 2 }); // the first wait (1 s) is waited out
  assert.deepEqual(r.waits, [1, 2]);
  assert.equal(r.resumes, 2);
  assert.equal(r.error?.name, 'AbortError');
  assert.equal(r.requests, 2);
});

test('fetchVerdicts ignores a Retry-After that is not a positive number of seconds', async () => {
  for (const value of ['0', '-5', 'soon', 'Wed, 21 Oct 2015 07:28:00 GMT']) {
    const r = await waitsBeforeAbort({ headers: { 'retry-after': value }, message: 'slow down; retry in 9 s' });
    assert.deepEqual(r.waits, [9], `Retry-After: ${value}`);
  }
});

test('fetchVerdicts gives up after maxWaits 429s in a row with the API\'s message', async () => {
  const message = 'more than 10 requests a minute with this key; retry in 1 s';
  const { endpoint, requests } = route(answers([429, apiError('rate_limited', message), { 'retry-after': '1' }]));
  const waits = [];
  await assert.rejects(
    fetchVerdicts({ url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'], maxWaits: 0, onWait: (s) => waits.push(s), onResume: () => {} }),
    (e) => e instanceof Error && e.message === message,
  );
  assert.deepEqual(waits, []);
  assert.equal(requests.length, 1);
});

test('fetchVerdicts says the key was refused on a 401, with the API\'s reason', async () => {
  const cases = [
    [apiError('unauthorized', 'this key is not valid'), 'the key was refused (this key is not valid)'],
    [apiError('unauthorized', 'this publishable key may not be used from https://evil.example'),
      'the key was refused (this publishable key may not be used from https://evil.example)'],
    ['', 'the key was refused (HTTP 401)'], // no JSON body
    [{ error: 'unauthorized' }, 'the key was refused (HTTP 401)'], // no message in it
  ];
  for (const [body, message] of cases) {
    const { endpoint } = route(answers([401, body]));
    await assert.rejects(fetchVerdicts({ url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'] }), { message });
  }
});

test('fetchVerdicts throws the API\'s own message for a 403 or another HTTP error, else "HTTP N"', async () => {
  const cases = [
    [403, apiError('forbidden', 'the suppression list needs a secret key (sk_…); publishable keys only check addresses'),
      'the suppression list needs a secret key (sk_…); publishable keys only check addresses'],
    [403, '<html>Forbidden</html>', 'HTTP 403'],
    [400, apiError('bad_request', 'at most 10 addresses per request with a publishable key'), 'at most 10 addresses per request with a publishable key'],
    [413, apiError('too_large', 'the body is over MAX_BODY_BYTES'), 'the body is over MAX_BODY_BYTES'],
    [500, apiError('misconfigured', 'the service is misconfigured: no keys'), 'the service is misconfigured: no keys'],
    [502, '', 'HTTP 502'],
  ];
  for (const [status, body, message] of cases) {
    const { endpoint, requests } = route(answers([status, body]));
    await assert.rejects(fetchVerdicts({ url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'] }), { message }, `HTTP ${status}`);
    assert.equal(requests.length, 1, `HTTP ${status} is not retried`);
  }
});

test('fetchVerdicts throws "the API answered something unexpected" for results of the wrong length or shape', async () => {
  const emails = ['a@example.com', 'b@example.com'];
  const bodies = [
    { results: [verdict('a@example.com')] }, // one short
    { results: [verdict('a@example.com'), verdict('b@example.com'), verdict('c@example.com')] }, // one too many
    { results: [] },
    { results: { 0: verdict('a@example.com'), 1: verdict('b@example.com'), length: 2 } }, // not an array
    [verdict('a@example.com'), verdict('b@example.com')], // the results without their object
    {},
    'not json',
    '',
  ];
  for (const body of bodies) {
    const { endpoint } = route(answers([200, body]));
    await assert.rejects(
      fetchVerdicts({ url: checkUrl(endpoint), key: KEY, emails }),
      { message: 'the API answered something unexpected' },
      `for ${JSON.stringify(body)}`,
    );
  }
});

test('fetchVerdicts says when the API could not be reached', async () => {
  await assert.rejects(
    fetchVerdicts({ url: checkUrl(closedOrigin), key: KEY, emails: ['a@example.com'], signal: new AbortController().signal }),
    (e) => e instanceof Error &&
      /^the API could not be reached \(.+\); check the address and that it allows this page's origin$/.test(e.message),
  );
});

test('fetchVerdicts rethrows the fetch\'s own error after its signal aborts, not "could not be reached"', async () => {
  const { endpoint, requests } = route(() => {}); // never answers
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(
    fetchVerdicts({ url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'], signal: controller.signal }),
    (e) => e.name === 'AbortError' && !/could not be reached/.test(e.message),
  );
  assert.equal(requests.length, 1);
});

// --- fetchVerdicts: review fixes ---------------------------------------------------

test('fetchVerdicts waits out a 429 without a signal', async () => {
  const { endpoint, requests } = route(answers([429, apiError('rate_limited', 'slow down'), { 'retry-after': '1' }], [200, echo]));
  const waits = [];
  const results = await fetchVerdicts({
    url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'], maxWaits: 1, onWait: (s) => waits.push(s), onResume: () => {},
  });
  assert.deepEqual(results, [verdict('a@example.com', { reason: 'r0' })]);
  assert.deepEqual(waits, [1]);
  assert.equal(requests.length, 2);
});

test('fetchVerdicts needs no onWait, onResume or maxWaits: it waits out 429s, 3 in a row by default', async () => {
  const message = 'more than 10 requests a minute with this key; retry in 1 s';
  const limited = [429, apiError('rate_limited', message), { 'retry-after': '1' }];
  // No hooks, maxWaits given.
  const first = route(answers(limited, [200, echo]));
  assert.deepEqual(
    await fetchVerdicts({ url: checkUrl(first.endpoint), key: KEY, emails: ['a@example.com'], maxWaits: 1, signal: new AbortController().signal }),
    [verdict('a@example.com', { reason: 'r0' })],
  );
  assert.equal(first.requests.length, 2);
  // Nothing but the request: the 429 is still waited out.
  const second = route(answers(limited, [200, echo]));
  assert.deepEqual(
    await fetchVerdicts({ url: checkUrl(second.endpoint), key: KEY, emails: ['a@example.com'] }),
    [verdict('a@example.com', { reason: 'r0' })],
  );
  assert.equal(second.requests.length, 2);
  // And given up on after the default 3 waits, with the API's message.
  const third = route(answers(limited));
  await assert.rejects(fetchVerdicts({ url: checkUrl(third.endpoint), key: KEY, emails: ['a@example.com'] }), { message });
  assert.equal(third.requests.length, 4);
});

test('fetchVerdicts rejects at once when its signal aborted before the wait began', async () => {
  // Aborted by onWait itself, just before the wait.
  {
    const { endpoint, requests } = route(answers([429, apiError('rate_limited', 'slow down'), { 'retry-after': '3' }], [200, echo]));
    const controller = new AbortController();
    let resumes = 0;
    const started = Date.now();
    const error = await fetchVerdicts({
      url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'], signal: controller.signal, maxWaits: 1,
      onWait: () => controller.abort(), onResume: () => resumes++,
    }).then(() => null, (e) => e);
    assert.equal(error?.name, 'AbortError');
    assert.ok(Date.now() - started < 1500, `should reject at once, not after the 3 s wait (took ${Date.now() - started} ms)`);
    assert.equal(resumes, 1);
    assert.equal(requests.length, 1);
  }
  // Aborted while the 429's body was still arriving (the body is lost; its Retry-After is not).
  {
    const { endpoint, requests } = route((seen, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3', 'content-length': '200' });
      res.write('{"error": {"code": "rate_limited", '); // …and the rest never comes
    });
    const controller = new AbortController();
    const waits = [];
    let resumes = 0;
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const error = await fetchVerdicts({
      url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'], signal: controller.signal, maxWaits: 1,
      onWait: (s) => waits.push(s), onResume: () => resumes++,
    }).then(() => null, (e) => e);
    assert.equal(error?.name, 'AbortError');
    assert.ok(Date.now() - started < 1500, `should reject at once, not after the 3 s wait (took ${Date.now() - started} ms)`);
    assert.deepEqual(waits, [3]);
    assert.equal(resumes, 1);
    assert.equal(requests.length, 1);
  }
});

test('fetchVerdicts leaves no abort listener of its waits on a long-lived signal', async () => {
  const { endpoint, requests } = route(answers(
    [429, apiError('rate_limited', 'slow down'), { 'retry-after': '1' }],
    [429, apiError('rate_limited', 'slow down'), { 'retry-after': '1' }],
    [200, echo],
  ));
  const { signal } = new AbortController();
  // Between onWait and onResume only the wait runs (no request), so no
  // listener present at onResume may be one that was not there at onWait.
  // (Not a count: undici drops its own listener for a finished request when
  // that is garbage-collected, which may happen during the wait.)
  const listeners = () => getEventListeners(signal, 'abort');
  let before = null;
  const left = [];
  await fetchVerdicts({
    url: checkUrl(endpoint), key: KEY, emails: ['a@example.com'], signal, maxWaits: 5,
    onWait: () => { before = listeners(); },
    onResume: () => left.push(listeners().filter((l) => !before.includes(l)).length),
  });
  assert.equal(requests.length, 3);
  assert.deepEqual(left, [0, 0], 'listeners added by each wait and still there after it');
});

test('fetchVerdicts waits at most 60 s for a 429, however long the server asks for', async () => {
  for (const [headers, message] of [
    [{ 'retry-after': '3600' }, 'slow down'],
    [{ 'retry-after': '86400' }, 'slow down; retry in 5 s'],
    [{}, 'slow down; retry in 7200 s'],
    [{}, 'slow down; retry in 99999999999999999999 s'],
  ]) {
    const r = await waitsBeforeAbort({ headers, message });
    assert.deepEqual(r.waits, [60], `${JSON.stringify(headers)} ${message}`);
    assert.equal(r.error?.name, 'AbortError');
  }
  // Below the cap, the server's own figure is kept.
  assert.deepEqual((await waitsBeforeAbort({ headers: { 'retry-after': '59' } })).waits, [59]);
});

test('fetchVerdicts throws "the API answered something unexpected" for results that are not verdicts', async () => {
  const emails = ['a@example.com', 'b@example.com'];
  const bodies = [
    { results: [verdict('a@example.com'), { ...verdict('b@example.com'), status: 'deliverable' }] }, // not a known status
    { results: [verdict('a@example.com'), { ...verdict('b@example.com'), reason: undefined }] }, // no reason
    { results: [verdict('a@example.com'), { ...verdict('b@example.com'), message: 42 }] },
    { results: [verdict('a@example.com'), null] },
    { results: ['valid', 'valid'] },
    { results: [[verdict('a@example.com')], [verdict('b@example.com')]] },
    { results: [{}, {}] },
  ];
  for (const body of bodies) {
    const { endpoint } = route(answers([200, body]));
    await assert.rejects(
      fetchVerdicts({ url: checkUrl(endpoint), key: KEY, emails }),
      { message: 'the API answered something unexpected' },
      `for ${JSON.stringify(body)}`,
    );
  }
});
