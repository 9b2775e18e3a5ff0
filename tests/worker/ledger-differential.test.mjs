// Differential test of the two suppression stores (docs/DESIGN.md "Bounces
// and the suppression ledger": "Both ask core for every decision … and store
// the same record"): random sequences of bounces, imports and removals are
// applied to
//
//   - the CLI's SQLite store: the real binary (target/debug/prebounce,
//     `bounces --suppress`, `suppressions import|remove|list`), one store
//     file per sequence in a temporary directory;
//   - the edge's D1: the real worker in local workerd (Miniflare), through
//     its routes (POST /v1/bounces with signed SNS envelopes, PUT and
//     DELETE /v1/suppressions, the change feed);
//
// and after every operation the live records of both must be identical, as
// must what each side says the operation did. The operations (./ledger-ops.mjs):
//
//   - bounce: one SES notification (every reason class: hard, repeat,
//     blocked, undetermined, complaints; 1–3 recipients spelled so that keys
//     collide, now and then one that is not an address), given to the edge
//     as a signed SNS Notification and to the CLI as the same SNS envelope
//     in a file; redeliveries (the same message again) and bursts of soft
//     bounces for one address, in any time order, for the repeat rule.
//   - import/PUT: 1–3 valid records (`import` of JSON Lines, `PUT`).
//   - remove: `suppressions remove ADDRESS`, `DELETE /v1/suppressions/…`.
//
// `pull` is not an operation: it copies edge records into the CLI store, so
// it would mix the two sides under test. Records arriving from elsewhere
// are what import/PUT model.
//
// Times: the edge places a bounce at its SNS `Timestamp`, the CLI at the SES
// notification's own timestamp (`bounce.timestamp`, `complaint.arrivalDate`
// — crates/cli/src/store.rs `when`). The generated messages carry one
// instant in both (with random milliseconds: both keep the second), always
// in the past. The edge refuses a Timestamp older than SNS_MAX_AGE_SECS
// (at most 7 days), set to 7 days here, so bounces spread over 6.5 days:
// the 30-day repeat window cannot be left from its old end through the
// edge, but bounces arriving out of time order leave it from its new end
// (the window ends at each bounce's own time).
//
// What is compared, after every step: the live records, field for field
// (`list --format json` vs the change feed), and what each side says the
// step did (the CLI's `stored` lines vs POST /v1/bounces' counts; the
// import summary vs PUT's `received`/`changed`; a removed record vs 204).
// At the end of a sequence, also the validated feed and GET of every pool
// address in another spelling. Nothing is normalized but what differs by
// design, each said where it is done: tombstones and `updated_at` (see
// `edgeRecords`); `source` needs nothing (see `cliApply`).
//
// Seed: random per run, printed in every test name; PREBOUNCE_DIFF_SEED=…
// replays a run (PREBOUNCE_DIFF_SEQUENCES=N runs more or fewer sequences).
// The first sequence that fails is shrunk (operations, import records and
// recipients dropped while it still fails the same way), and the failure
// prints the shortest sequence found. Each sequence runs on fresh stores: a
// new SQLite file, and at the one edge (D1 in memory) new keys and SNS
// MessageIds (a tag in every address). PREBOUNCE_KEEP_PEERS=1 keeps the
// temporary directory.
//
//   cargo build -p prebounce-cli && bash worker/build.sh
//   node --test tests/worker/ledger-differential.test.mjs
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as h from './harness.mjs';
import * as sns from './sns.mjs';
import * as L from './ledger-ops.mjs';

const SEED = process.env.PREBOUNCE_DIFF_SEED || String(randomInt(2 ** 31));
const DEFAULT_SEQUENCES = 25;
const SEQUENCES = Number(process.env.PREBOUNCE_DIFF_SEQUENCES || DEFAULT_SEQUENCES);
const OPS = 15;
/** The shrinker's budget (only the first failing sequence is shrunk). */
const SHRINK_MS = 20_000;

// A key of its own: the suppression routes count against the key's rate
// limit, and a run makes more keyed requests than h.SK's 1,000 a minute.
const KEY = 'sk_ledger_diff';
const auth = { Authorization: `Bearer ${KEY}` };

/** The six fields of a record, the same from both sides. */
const FIELDS = ['address', 'reason', 'first_seen', 'last_seen', 'count', 'source'];
const record = (r) => Object.fromEntries(FIELDS.map((f) => [f, r[f]]));
const byAddress = (a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);

/** Throws an AssertionError showing both sides unless they are deeply equal. */
function same(cliSide, edgeSide, what) {
  try {
    assert.deepStrictEqual(edgeSide, cliSide);
  } catch {
    const e = new assert.AssertionError({
      message: `${what} differ\n  CLI:  ${JSON.stringify(cliSide)}\n  edge: ${JSON.stringify(edgeSide)}`,
      actual: edgeSide,
      expected: cliSide,
      operator: 'deepStrictEqual',
    });
    e.difference = true;
    throw e;
  }
}

/** The CLI processes running now (stopped by pid in `after`, should a test end early). */
const children = new Set();

/**
 * Runs `bin ARGS` to completion (killed after 60 s); answers {status,
 * stdout, stderr}. Asynchronous, so that the CLI and the edge work on a
 * step at the same time.
 */
function cli(bin, args, { cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', (e) => { clearTimeout(timer); children.delete(child); reject(e); });
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ status: status ?? signal, stdout, stderr });
    });
  });
}

describe(`ledger differential: CLI SQLite vs edge D1 (seed ${SEED})`, { timeout: 170_000 }, () => {
  let worker;
  let dir;
  let bin;
  let tags = 0;
  let shrunk = false;
  const coverage = { reasons: new Set(), kinds: new Set(), repeatFired: 0, counted: 0, duplicates: 0, liveRemovals: 0, sequences: 0 };

  before(async () => {
    if (!existsSync(h.probeBin)) throw new Error(`${h.probeBin} is missing: cargo build -p prebounce-cli`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'prebounce-ledger-diff-'));
    // A copy of the binary as it is now, for the whole run, so that a cargo
    // build meanwhile cannot swap it mid-run (Miniflare likewise reads the
    // worker's build once, at its start).
    bin = path.join(dir, 'prebounce');
    copyFileSync(h.probeBin, bin);
    chmodSync(bin, 0o755);
    worker = await h.startWorker({
      API_KEYS: JSON.stringify({ [KEY]: { rate_per_minute: 1_000_000 } }),
      DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query`,
      // Bounces up to 6.5 days old are accepted (the setting's maximum is 7 days).
      ...sns.snsBindings({ SNS_MAX_AGE_SECS: String(7 * 86_400) }),
    });
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL'); // by pid
    await worker?.dispose();
    if (dir && process.env.PREBOUNCE_KEEP_PEERS !== '1') rmSync(dir, { recursive: true, force: true });
    else if (dir) process.stderr.write(`(kept ${dir})\n`);
  });

  // ------------------------------------------------------------ the sides

  /** The CLI store's records (none before the file exists). */
  async function cliRecords(db) {
    if (!existsSync(db)) return [];
    const r = await cli(bin, ['suppressions', '--db', db, 'list', '--format', 'json']);
    assert.equal(r.status, 0, `suppressions list: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean).map((l) => record(JSON.parse(l))).sort(byAddress);
  }

  /**
   * The edge's live records of the run tagged `tag`: the change feed since
   * the run began, without tombstones (the CLI deletes the row; the edge
   * keeps a tombstone for other replicas, by design) and without
   * `updated_at` (the CLI's is a local change number, the edge's its
   * clock: different by design).
   *
   * The reads after each step are one page without the OpenAPI validation
   * (`rawFetch`: it costs more than the request, and they are hundreds);
   * the read at the end of each run is validated, like every other
   * response here, and pages 3 records at a time.
   */
  async function edgeRecords(tag, since, { validated = false } = {}) {
    const entries = [];
    let cursor = null;
    do {
      const q = new URLSearchParams({ since, limit: validated ? '3' : '1000', ...(cursor ? { cursor } : {}) });
      let status;
      let text;
      if (validated) {
        ({ status, text } = await worker.request(`/v1/suppressions?${q}`, { headers: auth }));
      } else {
        const res = await worker.rawFetch(`/v1/suppressions?${q}`, { headers: auth });
        [status, text] = [res.status, await res.text()];
      }
      assert.equal(status, 200, `GET /v1/suppressions: ${text}`);
      const page = JSON.parse(text);
      entries.push(...page.suppressions);
      cursor = page.next_cursor;
    } while (cursor);
    const mine = entries.filter((e) => L.taggedWith(e.address, tag));
    const addresses = mine.map((e) => e.address);
    assert.equal(new Set(addresses).size, addresses.length, `the change feed lists an address twice: ${JSON.stringify(mine)}`);
    return mine.filter((e) => !e.deleted).map(record).sort(byAddress);
  }

  /** Applies `op` to the CLI store; answers what the CLI says it did. */
  async function cliApply(op, i, { db, work, tag, envelopeText }) {
    if (op.type === 'bounce') {
      // The file is named `ses`: the CLI records the path it read a bounce
      // from as the record's source, the edge records "ses" (by design);
      // this name makes the two the same text, so `source` is compared as
      // it is, and merge ties that break on the source (core's `rank`)
      // compare the same text on both sides.
      const opDir = path.join(work, `op${i}`);
      mkdirSync(opDir);
      writeFileSync(path.join(opDir, 'ses'), envelopeText);
      const r = await cli(bin, ['bounces', '--suppress', db, 'ses'], { cwd: opDir });
      assert.equal(r.status, 0, `bounces --suppress: ${r.stderr}`);
      const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.ok(lines.every((l) => l.source === 'ses' && l.stored), `unexpected lines: ${r.stdout}`);
      const n = (s) => lines.filter((l) => l.stored === s).length;
      return {
        answer: { records: lines.length, suppressed: n('suppressed'), duplicates: n('duplicate'), skipped: n('not_an_address') },
        lines,
      };
    }
    if (op.type === 'put') {
      const file = path.join(work, `op${i}.jsonl`);
      writeFileSync(file, L.putRecords(op, tag).map((r) => JSON.stringify(r)).join('\n') + '\n');
      const r = await cli(bin, ['suppressions', '--db', db, 'import', file]);
      assert.equal(r.status, 0, `suppressions import: ${r.stderr}`);
      const m = /(\d+) records read, (\d+) changed the store, (\d+) rejected/.exec(r.stderr);
      assert.ok(m, `suppressions import said: ${r.stderr}`);
      return { answer: { received: Number(m[1]), changed: Number(m[2]) } };
    }
    const r = await cli(bin, ['suppressions', '--db', db, 'remove', L.removeAddress(op, tag)]);
    assert.equal(r.status, 0, `suppressions remove: ${r.stderr}`);
    const m = /removed (\d+) of 1/.exec(r.stderr);
    assert.ok(m, `suppressions remove said: ${r.stderr}`);
    return { removed: Number(m[1]) };
  }

  /** Applies `op` to the edge; answers what the edge says it did. */
  async function edgeApply(op, { tag, envelope }) {
    if (op.type === 'bounce') {
      const r = await sns.post(worker, envelope);
      assert.equal(r.status, 200, `POST /v1/bounces: ${r.text}`);
      const { records, suppressed, duplicates, skipped } = r.json;
      return { answer: { records, suppressed, duplicates, skipped } };
    }
    if (op.type === 'put') {
      const r = await worker.request('/v1/suppressions', {
        method: 'PUT',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ suppressions: L.putRecords(op, tag) }),
      });
      assert.equal(r.status, 200, `PUT /v1/suppressions: ${r.text}`);
      return { answer: r.json };
    }
    const r = await worker.request(`/v1/suppressions/${encodeURIComponent(L.removeAddress(op, tag))}`, {
      method: 'DELETE',
      headers: auth,
    });
    assert.ok(r.status === 204 || r.status === 404, `DELETE: ${r.status} ${r.text}`);
    return { status: r.status };
  }

  // ------------------------------------------------------------- one run

  /**
   * Runs `ops` on fresh stores (a new tag: new keys and MessageIds at the
   * edge, a new SQLite file). Stops at the first difference and answers
   * `{ok: false, index, signature, error}`, else `{ok: true}`. `stats`
   * collects coverage (null while shrinking).
   */
  async function run(ops, stats = null) {
    const tag = String(1000 + ++tags);
    const db = path.join(dir, `store-${tag}.db`);
    const work = path.join(dir, `work-${tag}`);
    mkdirSync(work);
    // The feed from a second before this run (rows of other runs that it
    // still lists are told apart by their tag).
    const since = new Date(Date.now() - 1000).toISOString();
    let before = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      let stage = 'apply';
      try {
        const ctx = { db, work, tag };
        if (op.type === 'bounce') {
          ctx.envelope = sns.envelope({
            message: L.sesMessage(op, tag),
            messageId: L.messageIdOf(op, tag),
            timestamp: new Date(op.at).toISOString(),
          });
          ctx.envelopeText = JSON.stringify(ctx.envelope); // what sns.post sends
        }
        const [c, e] = await Promise.all([cliApply(op, i, ctx), edgeApply(op, ctx)]);
        stage = 'answer';
        if (op.type === 'remove') {
          // The CLI counts removed records; the edge answers 204 when it
          // cleared a record or only bounce history (DESIGN: "204, or
          // 404"), so only one direction is comparable.
          if (c.removed === 1) assert.equal(e.status, 204, 'the CLI removed a record; the edge answered 404');
        } else {
          same(c.answer, e.answer, op.type === 'bounce'
            ? 'what the message did (CLI `bounces --suppress` lines vs POST /v1/bounces answer)'
            : 'what the records did (CLI `import` summary vs PUT answer)');
        }
        stage = 'records';
        const [cliNow, edgeNow] = await Promise.all([cliRecords(db), edgeRecords(tag, since)]);
        same(cliNow, edgeNow, 'the suppression records');
        if (stats) collect(stats, op, c, e, before, cliNow);
        before = cliNow;
      } catch (error) {
        return { ok: false, index: i, signature: `${op.type}:${stage}`, difference: !!error.difference, error, tag };
      }
    }
    // The final state once more through the validated feed, and every pool
    // address asked for one by one in a random spelling.
    const rng = L.prng(L.seedOf(tag, 'get'));
    try {
      same(before, await edgeRecords(tag, since, { validated: true }), 'the suppression records (final, validated read)');
      for (let i = 0; i < L.POOL_SIZE; i++) {
        const spelt = L.spelling(rng, i).split(L.TAG).join(tag);
        const r = await worker.request(`/v1/suppressions/${encodeURIComponent(spelt)}`, { headers: auth });
        const want = before.find((x) => x.address === L.poolKey(i, tag)) ?? null;
        assert.ok(r.status === 200 || r.status === 404, `GET ${spelt}: ${r.status} ${r.text}`);
        same(want, r.status === 200 ? record(r.json) : null, `GET /v1/suppressions/${spelt} vs the CLI's record`);
      }
    } catch (error) {
      return { ok: false, index: ops.length - 1, signature: 'get:records', difference: !!error.difference, error, tag };
    }
    return { ok: true };
  }

  function collect(stats, op, c, e, before, after) {
    if (op.type === 'bounce') {
      for (const l of c.lines) {
        stats.reasons.add(l.reason);
        stats.kinds.add(l.kind);
        if (l.stored === 'duplicate') stats.duplicates++;
        if (l.kind === 'soft' && l.stored === 'counted' && l.reason !== 'blocked') stats.counted++;
        // The repeat rule fired: a soft bounce put an address on the list.
        const key = l.stored === 'suppressed' && l.kind === 'soft' ? L.keyOf(l.recipient) : null;
        if (key && !before.some((b) => b.address === key) && after.some((a) => a.address === key)) stats.repeatFired++;
      }
    } else if (op.type === 'remove' && c.removed === 1) {
      stats.liveRemovals++;
    }
  }

  /**
   * Makes a failing sequence smaller while it still fails at the same kind
   * of step, within SHRINK_MS: drops whole operations, then single records
   * of an import and single recipients of a bounce. Answers the smallest
   * failing run found.
   */
  async function shrink(ops, failure) {
    const deadline = Date.now() + SHRINK_MS;
    let best = { ops, failure };
    const attempt = async (candidate) => {
      const r = await run(candidate);
      if (r.ok || !r.difference || r.signature !== best.failure.signature) return false;
      best = { ops: candidate.slice(0, r.index + 1), failure: r };
      return true;
    };
    const smaller = (op) => {
      const parts = op.type === 'put' ? op.records : op.type === 'bounce' ? op.recipients : [];
      if (parts.length < 2) return [];
      const field = op.type === 'put' ? 'records' : 'recipients';
      return parts.map((_, k) => ({ ...op, [field]: parts.filter((__, j) => j !== k) }));
    };
    for (let changed = true; changed && Date.now() < deadline;) {
      changed = false;
      for (let i = best.ops.length - 1; i >= 0 && Date.now() < deadline; i--) {
        if (i >= best.ops.length) continue;
        if (best.ops.length > 1 && await attempt(best.ops.filter((_, k) => k !== i))) {
          changed = true;
          continue;
        }
        for (const op of smaller(best.ops[i])) {
          if (Date.now() >= deadline) break;
          if (await attempt(best.ops.map((o, k) => (k === i ? op : o)))) {
            changed = true;
            break;
          }
        }
      }
    }
    return best;
  }

  // ------------------------------------------------------------ the tests

  for (let s = 0; s < SEQUENCES; s++) {
    test(`sequence ${s + 1}/${SEQUENCES} (PREBOUNCE_DIFF_SEED=${SEED})`, async () => {
      const ops = L.generate(L.seedOf(SEED, s), { length: OPS, now: Date.now() });
      const result = await run(ops, coverage);
      if (result.ok) {
        coverage.sequences++;
        return;
      }
      let found = { ops: ops.slice(0, result.index + 1), failure: result };
      let note = 'the sequence up to the failing step';
      // A difference between the sides is shrunk (the first one of the
      // file only: it takes a while); a step that failed on one side (a
      // refusal, a crash) is reported as it is.
      const differs = result.difference;
      if (differs && !shrunk) {
        shrunk = true;
        found = await shrink(found.ops, result);
        note = 'shrunk: no operation, import record or recipient can be dropped and still fail the same way';
      }
      const steps = found.ops.map((op, k) => `  ${k + 1}. ${L.describe(op, found.failure.tag)}`).join('\n');
      assert.fail(`${differs ? 'the CLI store and the edge store disagree' : 'a side failed'} at step ${found.failure.index + 1} `
        + `(${found.failure.signature}) of sequence ${s + 1}, seed ${SEED} (${note}):\n${steps}\n`
        + `${found.failure.error.message}\n(replay: PREBOUNCE_DIFF_SEED=${SEED})`);
    });
  }

  test('the sequences covered what they are meant to', {
    skip: SEQUENCES < DEFAULT_SEQUENCES ? `only ${SEQUENCES} sequences` : false,
  }, () => {
    assert.equal(coverage.sequences, SEQUENCES, 'some sequences failed (above); coverage is incomplete');
    for (const r of ['does_not_exist', 'mailbox_disabled', 'no_mail_server', 'rejected', 'mailbox_full',
      'temporary_failure', 'blocked', 'complained']) {
      assert.ok(coverage.reasons.has(r), `no ${r} bounce in the run`);
    }
    for (const k of ['hard', 'soft', 'undetermined']) assert.ok(coverage.kinds.has(k), `no ${k} bounce in the run`);
    assert.ok(coverage.repeatFired > 0, 'no soft bounce suppressed by the repeat rule');
    assert.ok(coverage.counted > 0, 'no soft bounce counted without suppressing');
    assert.ok(coverage.duplicates > 0, 'no redelivered or repeated recipient');
    assert.ok(coverage.liveRemovals > 0, 'no removal of a live record');
  });
});
