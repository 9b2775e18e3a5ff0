// The edge's D1 schema comes from crates/store/migrations, applied by the
// worker on first use or by `wrangler d1 migrations apply`; a database made
// by the worker before the shared migrations upgrades without losing a row.
//
//   bash worker/build.sh && node --test tests/worker/migrations.test.mjs
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as h from './harness.mjs';
import * as sns from './sns.mjs';

const migrationsDir = path.join(h.root, 'crates/store/migrations');
const fixtures = path.join(h.root, 'crates/store/tests/fixtures');
const auth = () => ({ Authorization: `Bearer ${h.SK}` });
const enc = encodeURIComponent;

/** A migration file's statements, split as crates/store/src/schema.rs does. */
function statements(sql) {
  return sql.split(';\n')
    .map((chunk) => chunk.split('\n').filter((l) => !l.trimStart().startsWith('--')).join('\n').trim().replace(/;$/, ''))
    .filter((s) => s.length > 0);
}

/** The ledger's tables and indexes, SQL normalized (comments, spacing). */
async function schemaOf(d1) {
  const { results } = await d1.prepare(
    "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' " +
    "AND name NOT IN ('d1_migrations', '_cf_KV', '_cf_METADATA') ORDER BY name",
  ).all();
  return results.map(({ name, sql }) => [
    name,
    sql.split('\n').map((l) => l.split('--')[0]).join(' ').split(/\s+/).filter(Boolean).join(' '),
  ]);
}

const applied = async (d1) => (await d1.prepare('SELECT name FROM d1_migrations ORDER BY id').all()).results.map((r) => r.name);
const migrationNames = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();

describe('D1 migrations', { timeout: 180_000 }, () => {
  const workers = [];
  const dirs = [];
  after(async () => {
    for (const w of workers) await w.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = async (opts = {}) => {
    const w = await h.startWorker({
      API_KEYS: h.API_KEYS,
      DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query`,
      ...sns.snsBindings(),
    }, opts);
    workers.push(w);
    return w;
  };
  const record = async (worker, address) => {
    const r = await worker.request(`/v1/suppressions/${enc(address)}`, { headers: auth() });
    return r.status === 404 ? null : (assert.equal(r.status, 200, r.text), r.json);
  };

  let fresh;
  test('a new database gets every migration on first use, recorded as wrangler records them', async () => {
    const worker = await start();
    assert.equal(await record(worker, 'nobody@example.com'), null);
    const d1 = await worker.d1();
    assert.deepEqual(await applied(d1), migrationNames);
    fresh = await schemaOf(d1);
    assert.ok(fresh.some(([name]) => name === 'bounce_events'));
  });

  test('a database made by the first worker upgrades on first use and keeps every row', async () => {
    const worker = await start();
    const d1 = await worker.d1();
    // What the worker before the shared migrations made: its own 0001 run
    // on first use, nothing recorded in d1_migrations, and its rows.
    for (const sql of statements(readFileSync(path.join(fixtures, 'd1-0001-before.sql'), 'utf8'))) {
      await d1.prepare(sql).run();
    }
    const now = Date.now();
    await d1.batch([
      d1.prepare("INSERT INTO suppressions VALUES ('kept@example.com', 'mailbox_full', '2026-01-01T00:00:00Z', '2026-01-20T00:00:00Z', 3, 'ses', ?1, 0)").bind(now - 5000),
      d1.prepare("INSERT INTO suppressions VALUES ('gone@example.com', NULL, NULL, NULL, NULL, NULL, ?1, 1)").bind(now - 4000),
      d1.prepare("INSERT INTO bounce_events VALUES ('sns:old-1', 'soft@example.com', 'mailbox_full', ?1, 0)").bind(new Date(now - 86_400_000).toISOString().slice(0, 19) + 'Z'),
      d1.prepare("INSERT INTO bounce_events VALUES ('sns:old-2', 'soft@example.com', 'mailbox_full', ?1, 0)").bind(new Date(now - 43_200_000).toISOString().slice(0, 19) + 'Z'),
    ]);
    const kept = await record(worker, 'kept@example.com');
    assert.deepEqual(
      [kept.reason, kept.first_seen, kept.last_seen, kept.count, kept.source],
      ['mailbox_full', '2026-01-01T00:00:00Z', '2026-01-20T00:00:00Z', 3, 'ses'],
    );
    assert.deepEqual(await applied(d1), migrationNames);
    assert.deepEqual(await schemaOf(d1), fresh, 'the same schema as a new database');
    // The tombstone is still in the change feed.
    const feed = await worker.request('/v1/suppressions?since=1970-01-01T00:00:00Z', { headers: auth() });
    assert.equal(feed.status, 200, feed.text);
    assert.ok(JSON.stringify(feed.json).includes('gone@example.com'), feed.text);
    // The old events still count: a third soft bounce within 30 days suppresses.
    const r = await sns.post(worker, sns.envelope({
      message: sns.sesBounce(['soft@example.com'], { bounceType: 'Transient', subType: 'MailboxFull', diagnostic: 'smtp; 452 4.2.2 Mailbox full' }),
    }));
    assert.equal(r.status, 200, r.text);
    const soft = await record(worker, 'soft@example.com');
    assert.ok(soft, `three mailbox_full bounces suppress: ${r.text}`);
    assert.equal(soft.count, 3);
    // And a new event of an old address adds to its record.
    await sns.post(worker, sns.envelope({ message: sns.sesBounce(['kept@example.com']) }));
    const after = await record(worker, 'kept@example.com');
    assert.deepEqual([after.reason, after.count, after.first_seen], ['does_not_exist', 4, '2026-01-01T00:00:00Z']);
  });

  test('`wrangler d1 migrations apply --local` makes the schema the worker makes, and the worker applies nothing more', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prebounce-d1-'));
    dirs.push(dir);
    const r = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'prebounce-suppressions', '--local', '--persist-to', dir], {
      cwd: path.join(h.root, 'worker'),
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' },
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const worker = await start({ d1Persist: path.join(dir, 'v3/d1') });
    const d1 = await worker.d1();
    assert.deepEqual(await applied(d1), migrationNames, 'wrangler applied every file');
    const ids = (await d1.prepare('SELECT id FROM d1_migrations').all()).results.map((x) => x.id);
    const put = await worker.request('/v1/suppressions', {
      method: 'PUT',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ suppressions: [{ address: 'w@example.com', reason: 'does_not_exist', first_seen: '2026-02-01T00:00:00Z', last_seen: '2026-02-01T00:00:00Z', count: 1, source: 'crm' }] }),
    });
    assert.equal(put.status, 200, put.text);
    assert.equal((await record(worker, 'w@example.com')).source, 'crm');
    assert.deepEqual((await d1.prepare('SELECT id FROM d1_migrations').all()).results.map((x) => x.id), ids, 'nothing applied twice');
    assert.deepEqual(await schemaOf(d1), fresh);
  });
});
