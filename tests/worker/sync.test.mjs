// `prebounce suppressions push|pull|remove --api` against the edge API in
// local workerd with its local D1: a bounce ingested on one machine protects
// every path. The CLI is the real binary (target/debug/prebounce); the
// stores are real SQLite files in a temporary directory.
//
//   cargo build -p prebounce-cli && bash worker/build.sh && node --test tests/worker/
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as h from './harness.mjs';

const corpus = path.join(h.root, 'crates/core/tests/bounces/corpus');

/** Runs `prebounce ARGS`; answers {status, stdout, stderr}. */
function cli(args, { input } = {}) {
  const r = spawnSync(h.probeBin, args, { input, encoding: 'utf8', env: { ...process.env, PREBOUNCE_API_KEY: h.SK } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function list(db) {
  const r = cli(['suppressions', '--db', db, 'list', '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  return Object.fromEntries(r.stdout.trim().split('\n').filter(Boolean).map((l) => {
    const v = JSON.parse(l);
    return [v.address, v];
  }));
}

describe('suppressions push / pull / remove through the edge store', { timeout: 180_000 }, () => {
  let worker;
  let dir;
  before(async () => {
    if (!existsSync(h.probeBin)) throw new Error(`${h.probeBin} is missing: cargo build -p prebounce-cli`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'prebounce-sync-'));
    worker = await h.startWorker({
      API_KEYS: h.API_KEYS,
      DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query`,
    });
  });
  after(async () => {
    await worker?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api = () => worker.url.href.replace(/\/$/, '');
  const check = async (email) => {
    const r = await worker.request(`/v1/check?email=${encodeURIComponent(email)}`, {
      headers: { Authorization: `Bearer ${h.SK}` },
    });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };

  test('a bounce read on machine A suppresses at the edge and on machine B', async () => {
    const a = path.join(dir, 'a.db');
    const b = path.join(dir, 'b.db');
    // Machine A reads its bounces.
    const ingest = cli(['bounces', '--suppress', a, corpus]);
    assert.equal(ingest.status, 0, ingest.stderr);
    const local = list(a);
    assert.equal(local['nobody@example.com'].reason, 'does_not_exist');
    const n = Object.keys(local).length;

    // Before the push the edge knows nothing: no suppression, so DNS is tried.
    assert.notEqual((await check('nobody@example.com')).reason, 'suppressed');

    const push = cli(['suppressions', '--db', a, 'push', '--api', api(), '--page', '7']);
    assert.equal(push.status, 0, push.stderr);
    assert.match(push.stderr, new RegExp(`pushed ${n} records`));
    const v = await check('Nobody@Example.com');
    assert.equal(v.status, 'invalid');
    assert.equal(v.reason, 'suppressed');
    assert.deepEqual(v.suppression, {
      reason: local['nobody@example.com'].reason,
      first_seen: local['nobody@example.com'].first_seen,
      last_seen: local['nobody@example.com'].last_seen,
      count: local['nobody@example.com'].count,
      source: local['nobody@example.com'].source,
    });
    // A second push sends only what changed since: nothing.
    const again = cli(['suppressions', '--db', a, 'push', '--api', api()]);
    assert.match(again.stderr, /pushed 0 records/);

    // Machine B pulls everything, page by page, and answers the same.
    const pull = cli(['suppressions', '--db', b, 'pull', '--api', api(), '--page', '5']);
    assert.equal(pull.status, 0, pull.stderr);
    assert.deepEqual(list(b), local);
    const onB = JSON.parse(cli(['check', '--offline', '--json', '--suppress', b, 'nobody@example.com']).stdout);
    assert.equal(onB.reason, 'suppressed');
    // Pulled records are not pushed back from B.
    assert.match(cli(['suppressions', '--db', b, 'push', '--api', api()]).stderr, /pushed 0 records/);
  });

  test('a removal at A reaches the edge, and B drops it on its next pull', async () => {
    const a = path.join(dir, 'a.db');
    const b = path.join(dir, 'b.db');
    const r = cli(['suppressions', '--db', a, 'remove', 'nobody@example.com', '--api', api()]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /removed 1 of 1 from/);
    assert.notEqual((await check('nobody@example.com')).reason, 'suppressed');
    const pull = cli(['suppressions', '--db', b, 'pull', '--api', api()]);
    assert.equal(pull.status, 0, pull.stderr);
    assert.match(pull.stderr, /1 removed/);
    assert.equal(list(b)['nobody@example.com'], undefined);
  });

  test('a bounce recorded after the edge deleted the address survives the pull', async () => {
    const d = path.join(dir, 'd.db');
    const auth = { Authorization: `Bearer ${h.SK}` };
    // The edge has the record, then deletes it (its tombstone is stamped now).
    const put = await worker.request('/v1/suppressions', {
      method: 'PUT',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ suppressions: [{ address: 'newer@example.com', reason: 'does_not_exist',
        first_seen: '2026-02-01T00:00:00Z', last_seen: '2026-02-01T00:00:00Z', count: 1, source: 'ses' }] }),
    });
    assert.equal(put.status, 200, put.text);
    const del = await worker.request('/v1/suppressions/newer%40example.com', { method: 'DELETE', headers: auth });
    assert.equal(del.status, 204, del.text);
    // A moment later machine D reads a hard bounce for that address.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const dsn = [
      'From: MAILER-DAEMON@mail.example.org', 'To: sender@example.org', `Date: ${new Date().toUTCString()}`,
      'Subject: Undelivered Mail Returned to Sender', 'Message-ID: <after-delete-1@mail.example.org>',
      'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"', '',
      '--b', 'Content-Type: text/plain', '', 'Your message could not be delivered.', '',
      '--b', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mail.example.org', '',
      'Final-Recipient: rfc822; newer@example.com', 'Action: failed', 'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <newer@example.com>: Recipient address rejected: User unknown', '',
      '--b--', '',
    ].join('\r\n');
    const ingest = cli(['bounces', '--suppress', d, '-'], { input: dsn });
    assert.equal(ingest.status, 0, ingest.stderr);
    assert.equal(list(d)['newer@example.com'].reason, 'does_not_exist');
    // The pull sees the older tombstone and keeps the newer record.
    const pull = cli(['suppressions', '--db', d, 'pull', '--api', api()]);
    assert.equal(pull.status, 0, pull.stderr);
    assert.match(pull.stderr, /0 removed/);
    assert.equal(list(d)['newer@example.com']?.reason, 'does_not_exist');
    // The next push carries it back to the edge.
    assert.equal(cli(['suppressions', '--db', d, 'push', '--api', api()]).status, 0);
    assert.equal((await check('newer@example.com')).reason, 'suppressed');
    // Pulling again keeps it: the edge has it back.
    const again = cli(['suppressions', '--db', d, 'pull', '--api', api()]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(list(d)['newer@example.com']?.reason, 'does_not_exist');
  });

  test('records merge both ways: the edge keeps the earliest first seen and the stronger reason', async () => {
    const c = path.join(dir, 'c.db');
    const csv = path.join(dir, 'c.csv');
    writeFileSync(csv, 'address,reason,first_seen,last_seen,count,source\n'
      + 'merge@example.com,mailbox_full,2026-01-01T00:00:00Z,2026-03-01T00:00:00Z,3,crm\n');
    assert.equal(cli(['suppressions', '--db', c, 'import', csv]).status, 0);
    const put = await worker.request('/v1/suppressions', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${h.SK}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ suppressions: [{ address: 'merge@example.com', reason: 'does_not_exist',
        first_seen: '2026-02-01T00:00:00Z', last_seen: '2026-02-01T00:00:00Z', count: 1, source: 'ses' }] }),
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(cli(['suppressions', '--db', c, 'push', '--api', api()]).status, 0);
    assert.equal(cli(['suppressions', '--db', c, 'pull', '--api', api(), '--full']).status, 0);
    const want = { address: 'merge@example.com', reason: 'does_not_exist', first_seen: '2026-01-01T00:00:00Z',
      last_seen: '2026-03-01T00:00:00Z', count: 3, source: 'ses' };
    assert.deepEqual(list(c)['merge@example.com'], want);
    const edge = await worker.request('/v1/suppressions/merge%40example.com', { headers: { Authorization: `Bearer ${h.SK}` } });
    for (const [k, v] of Object.entries(want)) assert.equal(edge.json[k], v, k);
  });

  test('a publishable key cannot sync', () => {
    const r = spawnSync(h.probeBin, ['suppressions', '--db', path.join(dir, 'p.db'), 'pull', '--api', api(), '--key', h.PK], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /edge API: 40[13]/);
  });
});
