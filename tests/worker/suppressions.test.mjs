// The suppression list of the edge API in local workerd (Miniflare) with its
// local D1: SES notifications through SNS (POST /v1/bounces, envelopes
// signed with the test key like SNS signs them: ./sns.mjs), the suppression
// routes, and /v1/check answering `suppressed` without DNS or probe.
//
// No peers: DOH_URL points at a port where nothing listens, so an address
// that is not suppressed gets `dns_error`; a suppressed one never gets that
// far. Every response is validated against worker/src/openapi.json by the
// harness.
//
//   bash worker/build.sh && node --test tests/worker/
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as h from './harness.mjs';
import * as sns from './sns.mjs';

const auth = (key = h.SK) => ({ Authorization: `Bearer ${key}` });
const enc = (address) => encodeURIComponent(address);
const minutes = (n) => new Date(Date.now() + n * 60_000).toISOString();

/** A local stand-in for SNS's ConfirmSubscription endpoint: records what it is asked. */
async function startConfirmServer() {
  const seen = [];
  let status = 200;
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url });
    res.writeHead(status, { 'Content-Type': 'text/xml' });
    res.end('<ConfirmSubscriptionResponse/>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    seen,
    refuse: (s) => { status = s; },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('POST /v1/bounces: SES through SNS into D1', { timeout: 120_000 }, () => {
  let worker;
  let confirm;
  before(async () => {
    confirm = await startConfirmServer();
    worker = await h.startWorker({
      API_KEYS: h.API_KEYS,
      DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query`,
      ...sns.snsBindings({ SNS_TEST_CONFIRM_ORIGIN: confirm.origin }),
    });
  });
  after(async () => {
    await worker?.dispose();
    await confirm?.close();
  });

  const record = async (address) => {
    const r = await worker.request(`/v1/suppressions/${enc(address)}`, { headers: auth() });
    if (r.status === 404) return null;
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const events = async () => (await (await worker.d1()).prepare('SELECT count(*) AS n FROM bounce_events').first('n'));

  test('a hard bounce (SignatureVersion 1) is stored, and /v1/check answers suppressed without DNS', async () => {
    const e = sns.envelope({ message: sns.sesBounce(['Gone.User@Example.COM']) });
    const r = await sns.post(worker, e);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {
      type: 'Notification', message_id: e.MessageId, records: 1, suppressed: 1, duplicates: 0, skipped: 0, note: null,
    });
    const rec = await record('gone.user@example.com');
    assert.equal(rec.reason, 'does_not_exist');
    assert.equal(rec.source, 'ses');
    assert.equal(rec.count, 1);
    assert.equal(rec.first_seen, `${e.Timestamp.slice(0, 19)}Z`);

    const one = await worker.request(`/v1/check?email=${enc('gone.user@example.com')}`, { headers: auth() });
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.status, 'invalid');
    assert.equal(one.json.reason, 'suppressed');
    assert.equal(one.json.depth, 'syntax', 'no DNS lookup');
    assert.deepEqual(one.json.suppression, {
      reason: 'does_not_exist', first_seen: rec.first_seen, last_seen: rec.last_seen, count: 1, source: 'ses',
    });
    const many = await worker.check(['GONE.USER@example.com', 'someone.else@example.com'], { options: {} });
    assert.equal(many.status, 200, many.text);
    assert.equal(h.verdictOf(many, 'GONE.USER@example.com').reason, 'suppressed');
    assert.equal(h.verdictOf(many, 'someone.else@example.com').reason, 'dns_error');
  });

  test('SignatureVersion 2 (SHA256withRSA) verifies too', async () => {
    const r = await sns.post(worker, sns.envelope({ version: '2', message: sns.sesBounce(['v2@example.com']) }));
    assert.equal(r.status, 200, r.text);
    assert.equal((await record('v2@example.com')).reason, 'does_not_exist');
  });

  test('a tampered message → 403 invalid_signature, nothing stored', async () => {
    const before = await events();
    const e = sns.envelope({ message: sns.sesBounce(['innocent@example.com']) });
    e.Message = sns.sesBounce(['victim@example.com']);
    const r = await sns.post(worker, e);
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'invalid_signature');
    const other = sns.envelope({ message: sns.sesBounce(['victim@example.com']) });
    other.Signature = sns.envelope({ message: '{}' }).Signature;
    assert.equal((await sns.post(worker, other)).status, 403);
    assert.equal(await record('victim@example.com'), null);
    assert.equal(await record('innocent@example.com'), null);
    assert.equal(await events(), before);
  });

  test('a SigningCertURL off the SNS hosts → 403, even when the signature is right', async () => {
    for (const certUrl of [
      'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem',
      'https://evil.example/SimpleNotificationService-x.pem',
      'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.us-east-1.amazonaws.com/cert.txt',
    ]) {
      const r = await sns.post(worker, sns.envelope({ certUrl, message: sns.sesBounce(['host@example.com']) }));
      assert.equal(r.status, 403, `${certUrl}: ${r.text}`);
      assert.equal(r.json.error.code, 'invalid_signature');
      assert.match(r.json.error.message, /SigningCertURL/);
    }
    assert.equal(await record('host@example.com'), null);
  });

  test('a topic not in SNS_TOPIC_ARNS → 403 topic_not_allowed', async () => {
    const e = sns.envelope({ topicArn: 'arn:aws:sns:us-east-1:999999999999:strangers', message: sns.sesBounce(['t@example.com']) });
    const r = await sns.post(worker, e);
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'topic_not_allowed');
    assert.equal(await record('t@example.com'), null);
  });

  test('a Timestamp over an hour old (a replay) → 403 stale_message', async () => {
    const r = await sns.post(worker, sns.envelope({ timestamp: minutes(-66), message: sns.sesBounce(['old@example.com']) }));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'stale_message');
    assert.equal(await record('old@example.com'), null);
  });

  test('the same message delivered twice counts once', async () => {
    const e = sns.envelope({ message: sns.sesBounce(['twice@example.com', 'twice2@example.com']) });
    const first = await sns.post(worker, e);
    assert.equal(first.json.suppressed, 2, first.text);
    const again = await sns.post(worker, e);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.suppressed, 0);
    assert.equal(again.json.duplicates, 2);
    assert.equal((await record('twice@example.com')).count, 1);
  });

  test('a bounce to 50 recipients (the most SES sends; several insert statements in one D1 batch) stores every one', async () => {
    const before = await events();
    const team = Array.from({ length: 50 }, (_, i) => `team${i}@example.com`);
    const e = sns.envelope({ message: sns.sesBounce(team) });
    const r = await sns.post(worker, e);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.records, 50, r.text);
    assert.equal(r.json.suppressed, 50, r.text);
    assert.equal(await events(), before + 50);
    for (const i of [0, 11, 12, 13, 49]) assert.equal((await record(team[i])).count, 1, team[i]);
    const again = await sns.post(worker, e);
    assert.equal(again.json.duplicates, 50, again.text);
    assert.equal(await events(), before + 50);
  });

  test('a complaint suppresses at once', async () => {
    const r = await sns.post(worker, sns.envelope({ message: sns.sesComplaint(['angry@example.com']) }));
    assert.equal(r.json.suppressed, 1, r.text);
    assert.equal((await record('angry@example.com')).reason, 'complained');
  });

  test('a full mailbox is counted, and suppressed on the third bounce (distinct messages)', async () => {
    const full = () => sns.envelope({
      message: sns.sesBounce(['full@example.com'], { bounceType: 'Transient', subType: 'MailboxFull', diagnostic: 'smtp; 552 5.2.2 Mailbox full' }),
    });
    for (const [i, suppressed] of [[1, 0], [2, 0], [3, 1]]) {
      const r = await sns.post(worker, full());
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.suppressed, suppressed, `bounce ${i}: ${r.text}`);
      assert.equal((await record('full@example.com')) !== null, suppressed === 1, `bounce ${i}`);
    }
    const rec = await record('full@example.com');
    assert.equal(rec.reason, 'mailbox_full');
    assert.equal(rec.count, 3);
  });

  test('blocked (about the sender) never suppresses', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await sns.post(worker, sns.envelope({
        message: sns.sesBounce(['blocked@example.com'], {
          bounceType: 'Transient', subType: 'General',
          diagnostic: 'smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
        }),
      }));
      assert.equal(r.json.records, 1, r.text);
      assert.equal(r.json.suppressed, 0);
    }
    assert.equal(await record('blocked@example.com'), null);
  });

  test('a SubscriptionConfirmation is verified, then confirmed at its SubscribeURL', async () => {
    const e = sns.envelope({ type: 'SubscriptionConfirmation', token: 'abc123' });
    const r = await sns.post(worker, e);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.confirmed, true);
    const last = confirm.seen.at(-1);
    assert.equal(last.method, 'GET');
    assert.equal(`${confirm.origin}${last.url}`, e.SubscribeURL.replace('https://sns.us-east-1.amazonaws.com', confirm.origin));
    assert.match(last.url, /Action=ConfirmSubscription/);
    assert.match(last.url, /Token=abc123/);
    // Forged: never visited.
    const seen = confirm.seen.length;
    const forged = sns.envelope({ type: 'SubscriptionConfirmation' });
    forged.Token = 'other';
    assert.equal((await sns.post(worker, forged)).status, 403);
    assert.equal(confirm.seen.length, seen);
    // SNS refusing the confirmation → 502, so SNS sends it again.
    confirm.refuse(500);
    try {
      const refused = await sns.post(worker, sns.envelope({ type: 'SubscriptionConfirmation' }));
      assert.equal(refused.status, 502, refused.text);
      assert.equal(refused.json.error.code, 'upstream_unavailable');
    } finally {
      confirm.refuse(200);
    }
  });

  test('an authentic message that is not a bounce → 200 with a note (SNS would only retry it)', async () => {
    const delivery = JSON.stringify({ notificationType: 'Delivery', mail: { messageId: 'x' }, delivery: {} });
    for (const message of [delivery, 'hello', '{"no": "ses"}']) {
      const r = await sns.post(worker, sns.envelope({ message }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.records, 0);
      assert.equal(typeof r.json.note, 'string');
    }
    const bye = await sns.post(worker, sns.envelope({ type: 'UnsubscribeConfirmation' }));
    assert.equal(bye.status, 200, bye.text);
  });

  test('not an SNS message → 400 bad_request', async () => {
    for (const body of ['', '{', '{"Type": "Notification"}']) {
      const r = await worker.request('/v1/bounces', { method: 'POST', body });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'bad_request');
    }
    const e = sns.envelope({ message: sns.sesBounce(['h@example.com']) });
    const r = await sns.post(worker, e, { headers: { 'x-amz-sns-message-type': 'SubscriptionConfirmation' } });
    assert.equal(r.status, 400, r.text);
  });
});

describe('the suppression routes (secret keys only)', { timeout: 120_000 }, () => {
  let worker;
  before(async () => {
    worker = await h.startWorker({ API_KEYS: h.API_KEYS, DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query` });
  });
  after(async () => {
    await worker?.dispose();
  });

  const T = '2026-01-01T00:00:00Z';
  const rec = (address, over = {}) => ({
    address, reason: 'does_not_exist', first_seen: T, last_seen: T, count: 1, source: 'import', ...over,
  });
  const put = (suppressions, key = h.SK) => worker.request('/v1/suppressions', {
    method: 'PUT',
    headers: { ...auth(key), 'Content-Type': 'application/json' },
    body: JSON.stringify({ suppressions }),
  });
  const getOne = (address, key = h.SK) => worker.request(`/v1/suppressions/${enc(address)}`, { headers: auth(key) });

  test('no key → 401; a publishable key, even from its origin → 403', async () => {
    const r = await worker.request(`/v1/suppressions/${enc('a@example.com')}`);
    assert.equal(r.status, 401, r.text);
    for (const [method, p] of [['GET', `/v1/suppressions/${enc('a@example.com')}`], ['DELETE', `/v1/suppressions/${enc('a@example.com')}`],
      ['GET', '/v1/suppressions'], ['PUT', '/v1/suppressions']]) {
      const res = await worker.request(p, { method, headers: { ...auth(h.PK), Origin: h.ORIGIN }, body: method === 'PUT' ? '{}' : undefined });
      assert.equal(res.status, 403, `${method} ${p}: ${res.text}`);
      assert.equal(res.json.error.code, 'forbidden');
    }
  });

  test('GET an address not on the list → 404', async () => {
    const r = await getOne('nobody@example.com');
    assert.equal(r.status, 404, r.text);
  });

  test('PUT stores under the key; PUT again changes nothing; merging keeps the earliest, latest and largest', async () => {
    const first = await put([rec('John.Doe@Bücher.DE', { reason: 'mailbox_full', first_seen: '2026-02-01T00:00:00Z', last_seen: '2026-02-10T00:00:00Z', count: 2 })]);
    assert.deepEqual(first.json, { received: 1, changed: 1 });
    const again = await put([rec('john.doe@xn--bcher-kva.de', { reason: 'mailbox_full', first_seen: '2026-02-01T00:00:00Z', last_seen: '2026-02-10T00:00:00Z', count: 2 })]);
    assert.deepEqual(again.json, { received: 1, changed: 0 });
    const merged = await put([
      rec('JOHN.DOE@bücher.de', { reason: 'complained', first_seen: '2026-01-15T00:00:00Z', last_seen: '2026-03-01T00:00:00Z', count: 1, source: 'crm' }),
    ]);
    assert.deepEqual(merged.json, { received: 1, changed: 1 });
    const r = await getOne('john.doe@bücher.de');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {
      address: 'john.doe@xn--bcher-kva.de', reason: 'complained', first_seen: '2026-01-15T00:00:00Z',
      last_seen: '2026-03-01T00:00:00Z', count: 2, source: 'crm',
    });
    // What D1 holds is the key, never the input.
    const rows = await (await worker.d1()).prepare("SELECT address FROM suppressions WHERE address LIKE 'john%'").all();
    assert.deepEqual(rows.results.map((x) => x.address), ['john.doe@xn--bcher-kva.de']);
  });

  test('one bad record → 400 naming it, and nothing of the batch is stored', async () => {
    const cases = [
      [rec('not an address'), /suppressions\[1\]: address/],
      [rec('b@example.com', { reason: 'gone' }), /suppressions\[1\]: reason/],
      // A reason that never suppresses is refused with the import's words
      // (core's record check), so a pushed `blocked` can never suppress.
      [rec('b@example.com', { reason: 'blocked' }), /suppressions\[1\]: reason "blocked" is not a reason that suppresses/],
      [rec('b@example.com', { first_seen: '2026-01-01' }), /suppressions\[1\]: first_seen/],
      [rec('b@example.com', { count: 0 }), /suppressions\[1\]: count/],
      [{ address: 'b@example.com' }, /suppressions\[1\]/],
    ];
    for (const [bad, message] of cases) {
      const r = await put([rec('batch-ok@example.com'), bad]);
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.error.message, message);
    }
    assert.equal((await getOne('batch-ok@example.com')).status, 404);
    const many = Array.from({ length: 1001 }, (_, i) => rec(`m${i}@example.com`));
    const r = await put(many);
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.error.code, 'too_many_suppressions');
  });

  test('1000 records in one PUT: one D1 statement, all stored', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => rec(`bulk${i}@example.com`, { source: 'bulk import '.repeat(10) }));
    const r = await put(many);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { received: 1000, changed: 1000 });
    const n = await (await worker.d1()).prepare("SELECT count(*) AS n FROM suppressions WHERE address LIKE 'bulk%'").first('n');
    assert.equal(n, 1000);
    assert.equal((await getOne('bulk999@example.com')).status, 200);
  });

  test('paging with since and cursor across pages, then DELETE leaves a tombstone', async () => {
    const since = new Date().toISOString();
    const r = await put(Array.from({ length: 5 }, (_, i) => rec(`page${i}@example.com`)));
    assert.deepEqual(r.json, { received: 5, changed: 5 });
    const seen = [];
    let cursor = null;
    let pages = 0;
    do {
      const q = new URLSearchParams({ since, limit: '2', ...(cursor ? { cursor } : {}) });
      const p = await worker.request(`/v1/suppressions?${q}`, { headers: auth() });
      assert.equal(p.status, 200, p.text);
      assert.ok(p.json.suppressions.length <= 2);
      seen.push(...p.json.suppressions);
      cursor = p.json.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen.map((s) => s.address).sort(), Array.from({ length: 5 }, (_, i) => `page${i}@example.com`));
    assert.ok(seen.every((s) => s.deleted === false && s.updated_at >= since.slice(0, 19)));

    const del = await worker.request(`/v1/suppressions/${enc('page3@example.com')}`, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 204, del.text);
    assert.equal((await getOne('page3@example.com')).status, 404);
    const again = await worker.request(`/v1/suppressions/${enc('page3@example.com')}`, { method: 'DELETE', headers: auth() });
    assert.equal(again.status, 404, again.text);
    const last = seen.at(-1).updated_at;
    const feed = await worker.request(`/v1/suppressions?since=${enc(last)}`, { headers: auth() });
    const tomb = feed.json.suppressions.find((s) => s.address === 'page3@example.com');
    assert.deepEqual(Object.keys(tomb).sort(), ['address', 'deleted', 'updated_at']);
    assert.equal(tomb.deleted, true);

    for (const q of ['since=yesterday', 'cursor=nope', 'limit=0', 'limit=5000']) {
      const bad = await worker.request(`/v1/suppressions?${q}`, { headers: auth() });
      assert.equal(bad.status, 400, `${q}: ${bad.text}`);
    }
  });

  test('a PUT record makes /v1/check answer suppressed; DELETE undoes it', async () => {
    await put([rec('check-me@example.com', { reason: 'mailbox_disabled' })]);
    const r = await worker.request(`/v1/check?email=${enc('Check-Me@example.com')}`, { headers: auth() });
    assert.equal(r.json.reason, 'suppressed', r.text);
    assert.equal(r.json.suppression.reason, 'mailbox_disabled');
    await worker.request(`/v1/suppressions/${enc('check-me@example.com')}`, { method: 'DELETE', headers: auth() });
    const after = await worker.request(`/v1/check?email=${enc('check-me@example.com')}`, { headers: auth() });
    assert.equal(after.json.reason, 'dns_error', after.text);
  });
});

describe('the D1 schema', { timeout: 60_000 }, () => {
  // How the schema is made and upgraded (the worker's first use,
  // `wrangler d1 migrations apply`, an old database): ./migrations.test.mjs.

  test('a worker without the D1 binding still checks addresses; the suppression routes answer 503', async () => {
    const worker = await h.startWorker({ API_KEYS: h.API_KEYS, ...sns.snsBindings() }, { d1: false });
    try {
      const r = await worker.request('/v1/check?email=not-an-address', { headers: auth() });
      assert.equal(r.status, 200, r.text);
      const s = await worker.request(`/v1/suppressions/${enc('a@example.com')}`, { headers: auth() });
      assert.equal(s.status, 503, s.text);
      assert.equal(s.json.error.code, 'store_unavailable');
      assert.match(s.json.error.message, /SUPPRESSIONS_DB/);
      const b = await sns.post(worker, sns.envelope({ message: sns.sesBounce(['x@example.com']) }));
      assert.equal(b.status, 503, b.text);
    } finally {
      await worker.dispose();
    }
  });
});

describe('POST /v1/bounces: concurrent bounces for one recipient', { timeout: 120_000 }, () => {
  test('six full-mailbox bounces at once each see the others: the third suppresses', async () => {
    // Each request reads the ledger, decides, then writes (two D1 batches).
    // Without the write batch's guard, requests that all read before any
    // wrote each counted no earlier bounce, and none suppressed. A fresh
    // worker: the first requests of an isolate run in step.
    const worker = await h.startWorker({
      API_KEYS: h.API_KEYS,
      DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query`,
      ...sns.snsBindings(),
    });
    try {
      const full = () => sns.envelope({
        message: sns.sesBounce(['together@example.com'], { bounceType: 'Transient', subType: 'MailboxFull', diagnostic: 'smtp; 552 5.2.2 Mailbox full' }),
      });
      const answers = await Promise.all(Array.from({ length: 6 }, () => sns.post(worker, full())));
      const texts = answers.map((r) => r.text).join('\n');
      for (const r of answers) assert.equal(r.status, 200, texts);
      // As if one after the other: the third, and each after it, suppress.
      assert.equal(answers.reduce((n, r) => n + r.json.suppressed, 0), 4, texts);
      const r = await worker.request(`/v1/suppressions/${enc('together@example.com')}`, { headers: auth() });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.reason, 'mailbox_full');
      assert.equal(r.json.count, 6);
    } finally {
      await worker.dispose();
    }
  });
});
