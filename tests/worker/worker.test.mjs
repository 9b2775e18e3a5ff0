// The edge API (worker/) in local workerd through Miniflare, against real
// peers: unbound behind dnsdist's DoH front, Postfix, and `prebounce serve`.
//
//   bash worker/build.sh && cargo build -p prebounce-cli
//   node --test tests/worker/
//
// The peer suites need unbound, dnsdist and Postfix (scripts/setup.sh) and
// root; without them they skip loudly, unless CI is set (then they fail).
// Helpers: ./harness.mjs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as h from './harness.mjs';

const skipPeers = h.peersSkip();

// One world (DNS + DoH, Postfix, serve, worker) shared by the suites that
// need it, started on first use and stopped when the file is done.
let worldPromise = null;
const getWorld = () => (worldPromise ??= h.startWorld());
after(async () => {
  if (worldPromise) await (await worldPromise.catch(() => null))?.stop();
});

describe('worker in local workerd (no peers)', { timeout: 60_000 }, () => {
  let worker;
  before(async () => {
    worker = await h.startWorker({ API_KEYS: h.API_KEYS });
  });
  after(async () => {
    await worker?.dispose();
  });

  test('GET /healthz → 200 {"status":"ok"}', async () => {
    const r = await worker.request('/healthz');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(r.json, { status: 'ok' });
  });

  test('an unknown route → 404 with a JSON error', async () => {
    const r = await worker.request('/no/such/route?x=1');
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.equal(typeof r.json?.error?.code, 'string', r.text);
    assert.equal(typeof r.json?.error?.message, 'string', r.text);
  });
});

// ---------------------------------------------------------------------------
// What the Workers glue (worker/src/glue.rs) adds around the handler: the
// body read with a cap, empty-body responses, outbound deadlines, JSON errors.
// ---------------------------------------------------------------------------
describe('the Workers glue', { timeout: 60_000 }, () => {
  let worker;
  before(async () => {
    worker = await h.startWorker({ API_KEYS: h.API_KEYS, MAX_BODY_BYTES: '1000' });
  });
  after(async () => {
    await worker?.dispose();
  });

  const post = (body, headers = {}) => worker.request('/v1/check', {
    method: 'POST',
    headers: { Authorization: `Bearer ${h.SK}`, 'Content-Type': 'application/json', ...headers },
    body,
  });

  test('a body over MAX_BODY_BYTES → 413 payload_too_large (JSON)', async () => {
    const r = await post(JSON.stringify({ emails: ['a@example.com'], pad: 'x'.repeat(200_000) }));
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.error.code, 'payload_too_large');
  });

  test('a chunked body (no Content-Length) over the cap → 413, read no further', async () => {
    // fetch() gives up with ECONNRESET when the server answers before it has
    // sent the whole body (workerd resets the connection), so this test
    // writes the request itself.
    const text = await h.rawChunkedRequest(worker, {
      pathname: '/v1/check',
      headers: { Authorization: `Bearer ${h.SK}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ emails: ['a@example.com'], pad: 'x'.repeat(200_000) }),
    });
    assert.match(text, /^HTTP\/1\.1 413 /, text.slice(0, 300));
    assert.match(text, /"payload_too_large"/);
  });

  test('a body at the cap is read whole', async () => {
    const base = JSON.stringify({ emails: ['not-an-address'], options: {} });
    const body = base + ' '.repeat(1000 - base.length);
    const r = await post(body);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.results[0].reason, 'invalid_syntax');
  });

  test('CORS preflight from a listed origin → 204 with no body', async () => {
    const res = await worker.fetch('/v1/check', {
      method: 'OPTIONS',
      headers: { Origin: h.ORIGIN, 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), h.ORIGIN);
    assert.equal(await res.text(), '');
  });

  test('GET /openapi.json → an OpenAPI 3.1 document', async () => {
    const r = await worker.request('/openapi.json');
    assert.equal(r.status, 200);
    assert.match(r.json.openapi, /^3\.1\./);
  });

  test('a malformed setting → 500 misconfigured as JSON, no stack trace', async () => {
    const broken = await h.startWorker({ API_KEYS: 'not json' });
    try {
      const r = await broken.request('/v1/check?email=a%40example.com', {
        headers: { Authorization: `Bearer ${h.SK}` },
      });
      assert.equal(r.status, 500, r.text);
      assert.equal(r.json.error.code, 'misconfigured');
      assert.doesNotMatch(r.text, /\bat .*\.js:\d+|wasm-function|RuntimeError/);
    } finally {
      await broken.dispose();
    }
  });

  test('a DoH resolver that refuses connections → dns_error, not a 500', async () => {
    const w = await h.startWorker({
      API_KEYS: h.API_KEYS,
      DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query`,
    });
    try {
      const r = await w.check(['x@example.com'], { options: {} });
      assert.equal(r.status, 200, r.text);
      const v = h.verdictOf(r, 'x@example.com');
      assert.deepEqual([v.status, v.reason], ['unknown', 'dns_error'], JSON.stringify(v));
      assert.ok(!/127\.0\.0\.1|dns-query/.test(v.detail), `the resolver's URL stays private: ${v.detail}`);
    } finally {
      await w.dispose();
    }
  });

  test('a DoH resolver that hangs → dns_error within DOH_TIMEOUT_MS', async () => {
    const silent = await h.startSilentServer();
    const w = await h.startWorker({
      API_KEYS: h.API_KEYS,
      DOH_URL: silent.url('/dns-query'),
      DOH_TIMEOUT_MS: '300',
    });
    try {
      const t0 = Date.now();
      const r = await w.check(['x@example.com'], { options: {} });
      const took = Date.now() - t0;
      assert.equal(r.status, 200, r.text);
      assert.equal(h.verdictOf(r, 'x@example.com').reason, 'dns_error');
      assert.ok(took < 3000, `answered after ${took} ms`);
    } finally {
      await w.dispose();
      await silent.close();
    }
  });
});

describe('wrangler.toml', { timeout: 60_000 }, () => {
  const toml = readFileSync(path.join(h.root, 'worker/wrangler.toml'), 'utf8');

  test('names every setting of config::VAR_NAMES (a var, or a commented secret/var)', () => {
    const rs = readFileSync(path.join(h.root, 'worker/src/config.rs'), 'utf8');
    const list = /VAR_NAMES[^=]*=\s*\[([^\]]*)\]/.exec(rs);
    assert.ok(list, 'VAR_NAMES found in config.rs');
    const names = [...list[1].matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]);
    assert.ok(names.length > 0);
    for (const name of names) assert.match(toml, new RegExp(`\\b${name}\\b`), `${name} in wrangler.toml`);
  });

  test('wrangler accepts it and bundles worker/build/ under 3 MB gzipped (deploy --dry-run, offline)', () => {
    h.requireBuilt();
    const out = mkdtempSync(path.join(os.tmpdir(), 'prebounce-wrangler-'));
    try {
      const r = spawnSync(path.join(h.root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], {
        cwd: path.join(h.root, 'worker'),
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_HIDE_BANNER: 'true',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const text = `${r.stdout}${r.stderr}`;
      assert.equal(r.status, 0, text);
      assert.match(text, /env\.RATE_LIMITER \(RateLimiter\)\s+Durable Object/);
      assert.match(text, /env\.SUPPRESSIONS_DB \(prebounce-suppressions\)\s+D1 Database/);
      const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text);
      assert.ok(m, text);
      assert.ok(Number(m[2]) < 3 * 1024, `gzip ${m[2]} KiB, the free plan allows 3 MB`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('real peers and the probe start, answer and stop', { skip: skipPeers, timeout: 120_000 }, () => {
  let world;
  before(async () => {
    world = await getWorld();
  });

  test('dnsdist answers an RFC 8484 GET for MX alpha.test (via unbound)', async () => {
    const res = await fetch(`${world.dns.dohUrl}?dns=${h.dnsQuery('alpha.test', 15)}`, {
      headers: { Accept: 'application/dns-message' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/dns-message');
    const msg = Buffer.from(await res.arrayBuffer());
    assert.equal(msg[3] & 0x0f, 0, 'RCODE NOERROR');
    assert.equal(msg.readUInt16BE(6), 1, 'one answer (MX 10 mx.alpha.test)');
  });

  test('dnsdist passes NXDOMAIN through', async () => {
    const res = await fetch(`${world.dns.dohUrl}?dns=${h.dnsQuery('nxdomain.test', 15)}`);
    const msg = Buffer.from(await res.arrayBuffer());
    assert.equal(msg[3] & 0x0f, 3, 'RCODE NXDOMAIN');
  });

  test('Postfix greets', async () => {
    assert.match(await h.smtpBanner(world.postfix.smtpPort), /^220 mx\.alpha\.test ESMTP/);
  });

  test('prebounce serve: /healthz, and a signed probe of disabled@alpha.test → mailbox_disabled', async () => {
    const health = await fetch(`${world.serve.url}/healthz`);
    assert.equal(health.status, 200);
    const r = await h.probeDirect(world.serve, {
      emails: ['disabled@alpha.test'],
      options: h.TEST_OPTIONS,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const [v] = r.json.results;
    assert.equal(v.reason, 'mailbox_disabled', JSON.stringify(v));
    assert.equal(v.smtp?.enhanced, '5.2.1');
  });

  test('the worker wired to them answers /healthz', async () => {
    const r = await world.request('/healthz');
    assert.equal(r.status, 200);
  });
});

describe('start and stop leave nothing running', { skip: skipPeers, timeout: 120_000 }, () => {
  test('every process of a world is gone after stop()', async () => {
    const world = await h.startWorld();
    let pids;
    try {
      const pidFile = (dir, f) => Number(readFileSync(path.join(dir, f), 'utf8').trim());
      pids = {
        unbound: pidFile(world.dns.dir, 'unbound.pid'),
        dnsdist: pidFile(world.dns.dir, 'dnsdist.pid'),
        postfix: pidFile(world.postfix.dir, 'spool/pid/master.pid'),
        serve: world.serve.pid,
      };
      for (const [name, pid] of Object.entries(pids)) assert.ok(alive(pid), `${name} (${pid}) running`);
    } finally {
      await world.stop();
    }
    for (const [name, pid] of Object.entries(pids)) assert.ok(!alive(pid), `${name} (${pid}) stopped`);
  });
});

/** Whether a pid is a live, non-zombie process. */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// The end-to-end cases of issue 5. `world.check(emails, {key, origin,
// options})` POSTs /v1/check with `Authorization: Bearer key` and answers
// { status, headers, json, text }; options default to allow_special_use.
// ---------------------------------------------------------------------------
describe('edge API end to end (issue 5)', { skip: skipPeers, timeout: 180_000 }, () => {
  let world;
  before(async () => {
    world = await getWorld();
  });

  const expectVerdict = async (email, { status, reason, depth }) => {
    const r = await world.check([email]);
    assert.equal(r.status, 200, r.text);
    const v = h.verdictOf(r, email);
    assert.deepEqual({ status: v.status, reason: v.reason, depth: v.depth }, { status, reason, depth }, JSON.stringify(v));
    return v;
  };

  test('disabled@alpha.test → invalid / mailbox_disabled (DoH MX, then the probe)', async () => {
    const v = await expectVerdict('disabled@alpha.test', { status: 'invalid', reason: 'mailbox_disabled', depth: 'smtp' });
    assert.equal(v.smtp.enhanced, '5.2.1');
    assert.deepEqual(v.dns.mx, [{ preference: 10, exchange: 'mx.alpha.test' }]);
  });

  test('nobody@alpha.test → invalid / does_not_exist', async () => {
    await expectVerdict('nobody@alpha.test', { status: 'invalid', reason: 'does_not_exist', depth: 'smtp' });
  });

  test('x@nullmx.test → invalid / null_mx (no probe call)', async () => {
    const v = await expectVerdict('x@nullmx.test', { status: 'invalid', reason: 'null_mx', depth: 'dns' });
    assert.equal(v.dns.null_mx, true);
  });

  test('an NXDOMAIN domain → invalid / no_such_domain', async () => {
    await expectVerdict('x@nxdomain.test', { status: 'invalid', reason: 'no_such_domain', depth: 'dns' });
  });

  test('x@catchall.test → risky / catch_all', async () => {
    await expectVerdict('x@catchall.test', { status: 'risky', reason: 'catch_all', depth: 'smtp' });
  });

  test('x@grey.test → unknown / temporary_failure with retry_after', async () => {
    const v = await expectVerdict('x@grey.test', { status: 'unknown', reason: 'temporary_failure', depth: 'smtp' });
    assert.ok(v.retry_after > 0, JSON.stringify(v));
  });

  test('no key → 401 with a JSON error', async () => {
    const r = await world.check(['ok@alpha.test'], { key: null });
    assert.equal(r.status, 401, r.text);
    assert.equal(typeof r.json.error.code, 'string');
  });

  test('a pk_ key from a foreign origin → 401', async () => {
    const r = await world.check(['ok@alpha.test'], { key: h.PK, origin: 'https://evil.example' });
    assert.equal(r.status, 401, r.text);
  });

  test('rate limit → 429 with Retry-After', async () => {
    // A worker of its own, so no other test has spent this key's budget.
    const key = 'pk_ratelimit_test';
    const worker = await h.startWorker({
      ...h.bindingsFor(world),
      API_KEYS: JSON.stringify({ [key]: { origins: [h.ORIGIN], rate_per_minute: 2 } }),
    });
    try {
      for (let i = 0; i < 2; i++) {
        const r = await worker.check(['x@nullmx.test'], { key, origin: h.ORIGIN });
        assert.equal(r.status, 200, r.text);
      }
      const r = await worker.check(['x@nullmx.test'], { key, origin: h.ORIGIN });
      assert.equal(r.status, 429, r.text);
      assert.ok(Number(r.headers.get('retry-after')) > 0);
      assert.equal(typeof r.json.error.code, 'string');
    } finally {
      await worker.dispose();
    }
  });

  test('probe stopped → unknown / smtp_unavailable, not a 500', async () => {
    const serve = await h.startServe({ dnsPort: world.dns.dnsPort, smtpPort: world.postfix.smtpPort });
    const worker = await h.startWorker(h.bindingsFor({ dns: world.dns, serve }));
    try {
      await serve.stop();
      const r = await worker.check(['ok@alpha.test']);
      assert.equal(r.status, 200, r.text);
      const v = h.verdictOf(r, 'ok@alpha.test');
      assert.equal(v.status, 'unknown');
      assert.equal(v.reason, 'smtp_unavailable', JSON.stringify(v));
    } finally {
      await worker.dispose();
      await serve.stop();
    }
  });

  test('a repeated request is served from cache (no new SMTP session)', async () => {
    const email = 'nobody2@alpha.test';
    const first = h.verdictOf(await world.check([email]), email);
    assert.equal(first.cache, 'miss');
    const sessions = world.postfix.sessions();
    const second = h.verdictOf(await world.check([email]), email);
    assert.equal(second.cache, 'hit');
    assert.equal(world.postfix.sessions(), sessions, 'no new SMTP session');
    assert.deepEqual({ ...second, cache: 'miss' }, first);
  });

  test('GET /v1/check?email=… answers one verdict (same pipeline)', async () => {
    const r = await world.request('/v1/check?email=disabled%40alpha.test&allow_special_use=true', {
      headers: { Authorization: `Bearer ${h.SK}` },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.reason, 'mailbox_disabled', r.text);
    assert.equal(r.json.depth, 'smtp');
  });

  test('a probe that hangs → smtp_unavailable within PROBE_TIMEOUT_MS, not a 500', async () => {
    const silent = await h.startSilentServer();
    const worker = await h.startWorker({
      ...h.bindingsFor({ dns: world.dns }),
      PROBE_URL: silent.url('/v1/probe'),
      PROBE_SECRET: h.PROBE_SECRET,
      PROBE_TIMEOUT_MS: '500',
    });
    try {
      const t0 = Date.now();
      const r = await worker.check(['slowprobe@alpha.test']);
      const took = Date.now() - t0;
      assert.equal(r.status, 200, r.text);
      const v = h.verdictOf(r, 'slowprobe@alpha.test');
      assert.equal(v.reason, 'smtp_unavailable', JSON.stringify(v));
      assert.ok(took < 5000, `answered after ${took} ms`);
    } finally {
      await worker.dispose();
      await silent.close();
    }
  });
});
