// The OpenAPI 3.1 document (worker/src/openapi.json) against the real
// worker in local workerd (Miniflare): the document is what the worker
// serves, its schemas compile under Ajv's strict 2020-12 mode, the
// validator really rejects what the document does not allow, and every
// status the worker answers is one the document lists for that operation —
// and, the other way round, every status the document lists is one the
// worker really answers.
//
// Every response here (as in worker.test.mjs) is validated by the harness
// (./openapi.mjs). No peers: the worker's DOH_URL is a port where nothing
// listens, so an address that passes the syntax step gets `dns_error`.
//
//   bash worker/build.sh && node --test tests/worker/
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import * as oa from './openapi.mjs';
import * as sns from './sns.mjs';

const LIMITED = 'sk_limited_1'; // 2 requests a minute
const ONE = `/v1/suppressions/${encodeURIComponent('listed@example.com')}`;
const record = (address) => ({
  address, reason: 'does_not_exist', first_seen: '2026-01-01T00:00:00Z', last_seen: '2026-01-01T00:00:00Z', count: 1, source: 'test',
});

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1 and all its schemas compile under Ajv strict mode (2020-12)', () => {
    assert.match(oa.doc.openapi, /^3\.1\.\d+$/);
    for (const name of Object.keys(oa.doc.components.schemas)) {
      assert.equal(typeof oa.validatorAt(`openapi#/components/schemas/${name}`), 'function', name);
    }
    let n = 0;
    for (const entry of oa.documentedStatuses()) {
      const [method, pathname, status] = entry.split(' ');
      const { ref } = oa.responseFor(pathname, method, Number(status));
      const media = oa.doc.paths[pathname][method.toLowerCase()].responses[status].content;
      if (media) {
        assert.equal(typeof oa.validatorAt(`${ref}/content/application~1json/schema`), 'function', entry);
        n++;
      }
    }
    assert.ok(n >= 10, `${n} response schemas`);
  });

  test('the validator rejects what the document does not allow', () => {
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const verdict = {
      input: 'a', address: null, address_unicode: null, local: null, domain: null, domain_unicode: null,
      status: 'invalid', reason: 'invalid_syntax', depth: 'syntax', message: 'm', detail: null,
      suggestion: null, retry_after: null, flags: { disposable: false, role: false, free: false, smtputf8: false },
      error: { code: 'missing_at', message: 'x' }, dns: null, smtp: null, cache: 'miss',
    };
    const ok = (r) => oa.validateResponse({ headers: json, ...r });
    const bad = (r, re) => assert.throws(() => ok(r), re);
    ok({ method: 'GET', pathname: '/v1/check', status: 200, text: JSON.stringify(verdict) });
    // a status the operation does not list
    bad({ method: 'GET', pathname: '/healthz', status: 418, text: '{}' }, /does not list/);
    bad({ method: 'GET', pathname: '/v1/check', status: 413, text: '{"error":{"code":"x","message":"y"}}' }, /does not list/);
    // bodies that do not match
    bad({ method: 'GET', pathname: '/v1/check', status: 200, text: JSON.stringify({ ...verdict, extra: 1 }) },
      /additional properties/);
    const { cache: _c, ...noCache } = verdict;
    bad({ method: 'GET', pathname: '/v1/check', status: 200, text: JSON.stringify(noCache) }, /cache/);
    bad({ method: 'GET', pathname: '/v1/check', status: 200, text: JSON.stringify({ ...verdict, reason: 'nope' }) },
      /allowed values/);
    bad({ method: 'POST', pathname: '/v1/check', status: 200, text: JSON.stringify(verdict) }, /results/);
    bad({ method: 'POST', pathname: '/v1/check', status: 400, text: '{"error":{"code":"bad_request"}}' }, /message/);
    bad({ method: 'GET', pathname: '/v1/check', status: 200, text: 'not json' }, /not JSON/);
    bad({ method: 'GET', pathname: '/healthz', status: 200, headers: { 'content-type': 'text/plain' }, text: '{"status":"ok"}' },
      /content-type/);
    // a required header missing; a body where the document has none
    bad({ method: 'POST', pathname: '/v1/check', status: 429, text: '{"error":{"code":"rate_limited","message":"m"}}' },
      /Retry-After/);
    ok({ method: 'POST', pathname: '/v1/check', status: 429, headers: { ...json, 'Retry-After': '7' },
      text: '{"error":{"code":"rate_limited","message":"m"}}' });
    bad({ method: 'OPTIONS', pathname: '/v1/check', status: 204, text: 'x' }, /no content/);
    // not an operation of the document: only 404 / 405 as an Error object
    bad({ method: 'GET', pathname: '/nope', status: 200, text: '{}' }, /404/);
    bad({ method: 'PUT', pathname: '/v1/check', status: 404, text: '{}' }, /405/);
    bad({ method: 'PUT', pathname: '/v1/check', status: 405, text: '{"code":"x"}' }, /does not match/);
  });
});

describe('every status the worker answers is listed for its operation', { timeout: 60_000 }, () => {
  let worker;
  let broken;
  let noD1;
  const seen = new Set(); // "METHOD path status" answered in this suite
  before(async () => {
    worker = await h.startWorker({
      API_KEYS: JSON.stringify({
        [h.SK]: { rate_per_minute: 1000 },
        [h.PK]: { origins: [h.ORIGIN], rate_per_minute: 1000 },
        [LIMITED]: { rate_per_minute: 2 },
      }),
      MAX_BODY_BYTES: '4000',
      MAX_BULK_BODY_BYTES: '300000',
      DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query`,
      // Subscription confirmations go nowhere: 502.
      ...sns.snsBindings({ SNS_TEST_CONFIRM_ORIGIN: `http://127.0.0.1:${await h.deadPort()}` }),
    });
    broken = await h.startWorker({ API_KEYS: h.API_KEYS, SUBREQUEST_BUDGET: 'lots' });
    noD1 = await h.startWorker({ API_KEYS: h.API_KEYS, ...sns.snsBindings() }, { d1: false });
  });
  after(async () => {
    await worker?.dispose();
    await broken?.dispose();
    await noD1?.dispose();
  });

  const auth = (key = h.SK) => ({ Authorization: `Bearer ${key}` });
  const snsPost = (e) => ({
    method: 'POST',
    headers: { 'Content-Type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': e.Type },
    body: JSON.stringify(e),
  });
  const postJson = (body, headers = auth()) => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  /** Sends, checks status (and error code), and that the status is listed for the operation by number. */
  async function expect(w, pathname, init, status, code) {
    const r = await w.request(pathname, init); // validated against the document by the harness
    assert.equal(r.status, status, r.text);
    if (code) assert.equal(r.json?.error?.code, code, r.text);
    const method = init?.method ?? 'GET';
    const p = oa.templateOf(pathname);
    const entry = `${method} ${p} ${status}`;
    if (oa.operations().includes(`${method} ${p}`)) {
      assert.ok(oa.documentedStatuses().includes(entry), `${entry} is listed in the document`);
    }
    seen.add(entry);
    return r;
  }

  const cases = [
    ['GET /healthz', '/healthz', undefined, 200],
    ['GET /openapi.json', '/openapi.json', undefined, 200],
    ['GET one syntax verdict', '/v1/check?email=not-an-address', { headers: auth() }, 200],
    ['GET a valid-syntax address (DoH down → dns_error)', '/v1/check?email=x%40example.com', { headers: auth() }, 200],
    ['GET .test without allow_special_use', '/v1/check?email=x%40alpha.test', { headers: auth() }, 200],
    ['GET without email', '/v1/check', { headers: auth() }, 400, 'bad_request'],
    ['GET with two emails', '/v1/check?email=a%40b.c&email=d%40e.f', { headers: auth() }, 400, 'bad_request'],
    ['GET an option that is not a boolean', '/v1/check?email=a%40b.c&allow_special_use=maybe', { headers: auth() }, 400, 'bad_request'],
    ['GET an unknown parameter', '/v1/check?email=a%40b.c&depth=smtp', { headers: auth() }, 400, 'bad_request'],
    ['GET an email over 1024 bytes', `/v1/check?email=${'a'.repeat(1100)}%40b.c`, { headers: auth() }, 400, 'bad_request'],
    ['GET without a key', '/v1/check?email=a%40b.c', undefined, 401, 'unauthorized'],
    ['GET with an unknown key', '/v1/check?email=a%40b.c', { headers: auth('sk_nope') }, 401, 'unauthorized'],
    ['GET with Basic auth', '/v1/check?email=a%40b.c', { headers: { Authorization: 'Basic eDp5' } }, 401, 'unauthorized'],
    ['GET with a pk_ key and no Origin', '/v1/check?email=a%40b.c', { headers: auth(h.PK) }, 401, 'unauthorized'],
    ['GET with a pk_ key from its origin', '/v1/check?email=a%40b.c', { headers: { ...auth(h.PK), Origin: h.ORIGIN } }, 200],
    ['POST malformed JSON', '/v1/check', postJson('{"emails": ['), 400, 'bad_request'],
    ['POST a body that is not an object', '/v1/check', postJson([1, 2]), 400, 'bad_request'],
    ['POST emails not an array', '/v1/check', postJson({ emails: 'a@b.c' }), 400, 'bad_request'],
    ['POST without emails', '/v1/check', postJson({ options: {} }), 400, 'bad_request'],
    ['POST an unknown field', '/v1/check', postJson({ emails: [], extra: 1 }), 400, 'bad_request'],
    ['POST an option that is not a boolean', '/v1/check', postJson({ emails: [], options: { allow_special_use: 'yes' } }), 400, 'bad_request'],
    ['POST an unknown option', '/v1/check', postJson({ emails: [], options: { depth: true } }), 400, 'bad_request'],
    ['POST without a key', '/v1/check', postJson({ emails: ['a@b.c'] }, {}), 401, 'unauthorized'],
    ['POST a pk_ key from a foreign origin', '/v1/check', postJson({ emails: ['a@b.c'] }, { ...auth(h.PK), Origin: 'https://evil.example' }), 401, 'unauthorized'],
    ['POST a body over MAX_BODY_BYTES', '/v1/check', postJson({ emails: ['a@b.c'], pad: 'x'.repeat(5000) }), 413, 'payload_too_large'],
    ['POST 101 addresses', '/v1/check', postJson({ emails: Array.from({ length: 101 }, (_, i) => `a${i}@b`) }), 413, 'too_many_addresses'],
    ['POST 11 addresses with a pk_ key', '/v1/check', postJson({ emails: Array.from({ length: 11 }, (_, i) => `a${i}@b`) }, { ...auth(h.PK), Origin: h.ORIGIN }), 413, 'too_many_addresses'],
    ['POST an empty batch', '/v1/check', postJson({ emails: [] }), 200],
    // the suppression list
    ['PUT records', '/v1/suppressions', { ...postJson({ suppressions: [record('listed@example.com'), record('other@example.com')] }), method: 'PUT' }, 200],
    ['PUT a bad record', '/v1/suppressions', { ...postJson({ suppressions: [record('not an address')] }), method: 'PUT' }, 400, 'bad_request'],
    ['PUT 1001 records', '/v1/suppressions', { ...postJson({ suppressions: Array.from({ length: 1001 }, (_, i) => record(`a${i}@b.co`)) }), method: 'PUT' }, 413, 'too_many_suppressions'],
    ['PUT without a key', '/v1/suppressions', { ...postJson({ suppressions: [] }, {}), method: 'PUT' }, 401, 'unauthorized'],
    ['PUT with a pk_ key from its origin', '/v1/suppressions', { ...postJson({ suppressions: [] }, { ...auth(h.PK), Origin: h.ORIGIN }), method: 'PUT' }, 403, 'forbidden'],
    ['GET one listed address', ONE, { headers: auth() }, 200],
    ['GET an address not listed', `/v1/suppressions/${encodeURIComponent('nobody@example.com')}`, { headers: auth() }, 404, 'not_found'],
    ['GET a path that is not an address', '/v1/suppressions/not-an-address', { headers: auth() }, 400, 'bad_request'],
    ['GET one without a key', ONE, undefined, 401, 'unauthorized'],
    ['GET one with a pk_ key from its origin', ONE, { headers: { ...auth(h.PK), Origin: h.ORIGIN } }, 403, 'forbidden'],
    ['GET the change feed', '/v1/suppressions?limit=1', { headers: auth() }, 200],
    ['GET the change feed with a bad since', '/v1/suppressions?since=yesterday', { headers: auth() }, 400, 'bad_request'],
    ['GET the change feed without a key', '/v1/suppressions', undefined, 401, 'unauthorized'],
    ['GET the change feed with a pk_ key from its origin', '/v1/suppressions', { headers: { ...auth(h.PK), Origin: h.ORIGIN } }, 403, 'forbidden'],
    ['DELETE a listed address', ONE, { method: 'DELETE', headers: auth() }, 204],
    ['DELETE it again', ONE, { method: 'DELETE', headers: auth() }, 404, 'not_found'],
    ['DELETE a path that is not an address', '/v1/suppressions/not-an-address', { method: 'DELETE', headers: auth() }, 400, 'bad_request'],
    ['DELETE without a key', ONE, { method: 'DELETE' }, 401, 'unauthorized'],
    ['DELETE with a pk_ key from its origin', ONE, { method: 'DELETE', headers: { ...auth(h.PK), Origin: h.ORIGIN } }, 403, 'forbidden'],
    ['POST /v1/suppressions', '/v1/suppressions', { method: 'POST', headers: auth() }, 405, 'method_not_allowed'],
    // SNS
    ['POST an SES bounce through SNS', '/v1/bounces', snsPost(sns.envelope({ message: sns.sesBounce(['bounced@example.com']) })), 200],
    ['POST an SNS message that is not one', '/v1/bounces', { method: 'POST', body: '{"Type": "Notification"}' }, 400, 'bad_request'],
    ['POST a tampered SNS message', '/v1/bounces', snsPost({ ...sns.envelope({ message: '{}' }), Message: '{"x": 1}' }), 403, 'invalid_signature'],
    ['POST an SNS message over MAX_BULK_BODY_BYTES', '/v1/bounces', snsPost(sns.envelope({ message: 'x'.repeat(310_000) })), 413, 'payload_too_large'],
    ['POST a subscription SNS will not confirm', '/v1/bounces', snsPost(sns.envelope({ type: 'SubscriptionConfirmation' })), 502, 'upstream_unavailable'],
    ['GET /v1/bounces', '/v1/bounces', undefined, 405, 'method_not_allowed'],
    ['an unknown path', '/v2/check', { headers: auth() }, 404, 'not_found'],
    ['PUT /v1/check', '/v1/check', { method: 'PUT', headers: auth() }, 405, 'method_not_allowed'],
    ['DELETE /healthz', '/healthz', { method: 'DELETE' }, 405, 'method_not_allowed'],
    ['POST /openapi.json', '/openapi.json', { method: 'POST', body: '{}' }, 405, 'method_not_allowed'],
  ];
  for (const [name, pathname, init, status, code] of cases) {
    test(`${name} → ${status}${code ? ` ${code}` : ''}`, () => expect(worker, pathname, init, status, code));
  }

  test('POST a batch of every kind of syntax verdict → 200, each verdict as documented', async () => {
    const emails = [
      'not-an-address', '', 'a@', '@b.c', 'a..b@example.com', 'a@-bad-.com', 'x'.repeat(300) + '@example.com',
      '"quoted local"@example.com', 'user@[192.0.2.1]', 'user@localhost', 'user@alpha.test', 'user@example.invalid',
      'user@gmial.com', 'user@mailinator.com', 'postmaster@example.com', 'jürgen@bücher.example', 'user@bücher.example',
      ' padded@example.com ', 'user@example.com', 42, null, true, { email: 'a@b.c' }, ['a@b.c'],
    ];
    const r = await expect(worker, '/v1/check', postJson({ emails, options: { role_is_risky: true } }), 200);
    assert.equal(r.json.results.length, emails.length);
    const reasons = new Set(r.json.results.map((v) => v.reason));
    for (const reason of ['invalid_syntax', 'dns_error']) assert.ok(reasons.has(reason), `${reason} in ${[...reasons]}`);
  });

  test('CORS preflight → 204 with no body, from a listed origin and from any other', async () => {
    for (const origin of [h.ORIGIN, 'https://evil.example']) {
      const res = await worker.fetch('/v1/check', { // validated by the harness
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
      assert.equal(res.status, 204);
      assert.equal(await res.text(), '');
      seen.add('OPTIONS /v1/check 204');
    }
  });

  test('HEAD /healthz → 200 with no body (as GET)', async () => {
    const res = await worker.fetch('/healthz', { method: 'HEAD' });
    assert.equal(res.status, 200);
  });

  test('over the rate limit → 429 with Retry-After, for GET and POST', async () => {
    const get = { headers: auth(LIMITED) };
    await expect(worker, '/v1/check?email=a', get, 200);
    await expect(worker, '/v1/check', postJson({ emails: ['a'] }, auth(LIMITED)), 200);
    const r1 = await expect(worker, '/v1/check?email=a', get, 429, 'rate_limited');
    const r2 = await expect(worker, '/v1/check', postJson({ emails: ['a'] }, auth(LIMITED)), 429, 'rate_limited');
    const more = [
      await expect(worker, '/v1/suppressions', get, 429, 'rate_limited'),
      await expect(worker, '/v1/suppressions', { ...postJson({ suppressions: [] }, auth(LIMITED)), method: 'PUT' }, 429, 'rate_limited'),
      await expect(worker, ONE, get, 429, 'rate_limited'),
      await expect(worker, ONE, { method: 'DELETE', headers: auth(LIMITED) }, 429, 'rate_limited'),
    ];
    for (const r of [r1, r2, ...more]) assert.ok(Number(r.headers.get('retry-after')) >= 1);
  });

  test('a malformed setting → 500 misconfigured, for GET and POST', async () => {
    await expect(broken, '/v1/check?email=a%40b.c', { headers: auth() }, 500, 'misconfigured');
    await expect(broken, '/v1/check', postJson({ emails: ['a@b.c'] }), 500, 'misconfigured');
    await expect(broken, '/v1/suppressions', { headers: auth() }, 500, 'misconfigured');
    await expect(broken, '/v1/suppressions', { ...postJson({ suppressions: [] }), method: 'PUT' }, 500, 'misconfigured');
    await expect(broken, ONE, { headers: auth() }, 500, 'misconfigured');
    await expect(broken, ONE, { method: 'DELETE', headers: auth() }, 500, 'misconfigured');
    await expect(broken, '/v1/bounces', snsPost(sns.envelope({ message: '{}' })), 500, 'misconfigured');
    await expect(broken, '/healthz', undefined, 200);
  });

  test('no D1 database bound → 503 store_unavailable from the store routes; checks still work', async () => {
    await expect(noD1, '/v1/suppressions', { headers: auth() }, 503, 'store_unavailable');
    await expect(noD1, '/v1/suppressions', { ...postJson({ suppressions: [record('a@example.com')] }), method: 'PUT' }, 503, 'store_unavailable');
    await expect(noD1, ONE, { headers: auth() }, 503, 'store_unavailable');
    await expect(noD1, ONE, { method: 'DELETE', headers: auth() }, 503, 'store_unavailable');
    await expect(noD1, '/v1/bounces', snsPost(sns.envelope({ message: sns.sesBounce(['a@example.com']) })), 503, 'store_unavailable');
    await expect(noD1, '/v1/check?email=not-an-address', { headers: auth() }, 200);
  });

  test('the worker serves exactly worker/src/openapi.json (what these tests validate against)', async () => {
    const r = await expect(worker, '/openapi.json', undefined, 200);
    assert.equal(r.text, oa.docText,
      'the served document differs from worker/src/openapi.json: rebuild the worker (bash worker/build.sh)');
  });

  // last: after every case above
  test('every status the document lists for an operation is one the worker really answers', () => {
    const never = oa.documentedStatuses().filter((s) => !seen.has(s));
    assert.deepEqual(never, [], `documented, but not answered by any case here: ${never.join(', ')}`);
  });
});
