// Test harness for the edge API (worker/) in local workerd through Miniflare,
// and the real peers behind it:
//
//   startDns()      unbound + dnsdist's DoH front      (tests/peers/unbound.sh)
//   startPostfix()  Postfix with the test mailboxes    (tests/peers/postfix.sh)
//   startServe()    target/debug/prebounce serve       (the probe backend)
//   startWorker()   worker/build/ in Miniflare         (built by worker/build.sh),
//                   with a fresh local D1 database as SUPPRESSIONS_DB
//   startWorld()    all four, wired together: DOH_URL and PROBE_URL point at
//                   the peers; `world.check(emails, {key, origin})`
//
// Every response the worker gives through these helpers (`worker.fetch`,
// `request`, `check`, `rawChunkedRequest`) is validated against the OpenAPI
// document (./openapi.mjs); `worker.rawFetch` is the unvalidated escape hatch.
//
// Every port is picked at run time. Everything started is stopped by pid
// (the peer scripts' `stop` kills by pid file) in the caller's `after` hook,
// also when a test failed; an exit handler stops whatever is still running
// if the test process ends early. PREBOUNCE_KEEP_PEERS=1 keeps the /tmp
// folders (configs, logs).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, chmodSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { parseRawResponse, validateResponse } from './openapi.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** worker/build/, or PREBOUNCE_WORKER_BUILD (a folder `worker-build -d` wrote, for parallel checkouts). */
export const buildDir = process.env.PREBOUNCE_WORKER_BUILD
  ? path.resolve(root, process.env.PREBOUNCE_WORKER_BUILD)
  : path.join(root, 'worker/build');
export const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(root, process.env.CARGO_TARGET_DIR)
  : path.join(root, 'target');
export const probeBin = path.join(targetDir, 'debug/prebounce');
const peersDir = path.join(root, 'tests/peers');

/** The shared secret between the worker and `prebounce serve` in tests. */
export const PROBE_SECRET = 'worker-test-secret-0123456789abcdef';
/** The origin the test publishable key is bound to. */
export const ORIGIN = 'http://localhost:5173';
/** A secret key (servers) and a publishable key (browsers, 3 requests a minute). */
export const SK = 'sk_test_1';
export const PK = 'pk_test_1';
/** API_KEYS as the worker reads it (JSON text; worker/DEPLOY.md has the format). */
export const API_KEYS = JSON.stringify({
  [SK]: { rate_per_minute: 1000 },
  [PK]: { origins: [ORIGIN], rate_per_minute: 3 },
});
/** The options every `.test` address needs (docs/DESIGN.md: special-use names). */
export const TEST_OPTIONS = { allow_special_use: true };

/** wrangler.toml's compatibility_date, so tests run what deploys. */
export const compatibilityDate = (() => {
  const toml = readFileSync(path.join(root, 'worker/wrangler.toml'), 'utf8');
  const m = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml);
  if (!m) throw new Error('worker/wrangler.toml has no compatibility_date');
  return m[1];
})();

// ------------------------------------------------------------ preconditions

/** Throws unless worker/build.sh has run. */
export function requireBuilt() {
  for (const f of ['index.js', 'index_bg.wasm']) {
    if (!existsSync(path.join(buildDir, f))) {
      throw new Error(`worker/build/${f} is missing: run worker/build.sh first`);
    }
  }
}

function onPath(name) {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin']);
  return dirs.some((d) => d && existsSync(path.join(d, name)));
}

/**
 * Why the real peers cannot run here (a string), or false when they can.
 * Outside CI the end-to-end suites skip with this reason; under CI=true
 * they fail instead (see `peersSkip`).
 */
export function peersUnavailable() {
  const missing = ['unbound', 'dnsdist', 'postfix'].filter((b) => !onPath(b));
  if (missing.length) return `${missing.join(', ')} not installed (scripts/setup.sh installs them)`;
  if (process.getuid && process.getuid() !== 0) return 'not running as root (Postfix must start as root)';
  if (!existsSync(probeBin)) return `${probeBin} is missing (cargo build -p prebounce-cli)`;
  return false;
}

/** The `skip` option for a describe() that needs the peers. */
export function peersSkip() {
  const why = peersUnavailable();
  if (!why) return false;
  if (process.env.CI) return false; // run, and let startWorld() fail loudly
  process.stderr.write(`\n== SKIPPED worker end-to-end tests: ${why} (under CI=true this fails)\n\n`);
  return why;
}

// -------------------------------------------------------------------- ports

/** A port on 127.0.0.1 free a moment ago for TCP (and for UDP with `udp`). */
export async function freePort({ udp = false } = {}) {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    if (!udp) return port;
    const ok = await new Promise((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** A port where nothing listens (connections are refused). */
export const deadPort = () => freePort();

/**
 * A TCP server on 127.0.0.1 that accepts connections and never answers (a
 * resolver or probe that hangs). Answers { port, url(path), close() }.
 */
export async function startSilentServer() {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    url: (pathname = '/') => `http://127.0.0.1:${port}${pathname}`,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

// ---------------------------------------------------------- process hygiene

const cleanups = new Set(); // synchronous last-resort stops, for process exit
function runCleanups() {
  for (const f of cleanups) {
    try { f(); } catch { /* best effort */ }
  }
  cleanups.clear();
}
process.on('exit', runCleanups);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => { runCleanups(); process.exit(code); });
}

function tempDir(prefix) {
  const dir = mkdtempSync(path.join('/tmp', prefix));
  chmodSync(dir, 0o755); // Postfix runs as its own user
  return dir;
}

function removeDir(dir) {
  if (process.env.PREBOUNCE_KEEP_PEERS === '1') {
    process.stderr.write(`(kept ${dir})\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `bash tests/peers/SCRIPT ACTION DIR` with `env`; throws with its output on failure. */
function peerScript(script, action, dir, env = {}) {
  const r = spawnSync('bash', [path.join(peersDir, script), action, dir], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) {
    throw new Error(`${script} ${action} failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  }
}

/** Tries `start` up to 3 times (a port picked at run time may be taken meanwhile). */
async function withRetries(what, start) {
  let last;
  for (let i = 0; i < 3; i++) {
    try {
      return await start();
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`${what} did not start: ${last?.message ?? last}`);
}

// -------------------------------------------------------------------- peers

/**
 * unbound on a free port, with dnsdist's DoH front (`doh: true`) at
 * `dohUrl` = http://127.0.0.1:PORT/dns-query. Zones: tests/peers/README.md.
 * `env`: more for unbound.sh (`{BENCH_ZONE: '1'}`: every *.bench.test has an MX).
 */
export async function startDns({ doh = true, env: extraEnv = {} } = {}) {
  return withRetries('unbound', async () => {
    const dir = tempDir('prebounce-worker-dns.');
    const dnsPort = await freePort({ udp: true });
    const dohPort = doh ? await freePort() : null;
    const env = { ...extraEnv, DNS_PORT: String(dnsPort), ...(doh ? { DOH_PORT: String(dohPort) } : {}) };
    const stopSync = () => { try { peerScript('unbound.sh', 'stop', dir); } finally { removeDir(dir); } };
    try {
      peerScript('unbound.sh', 'start', dir, env);
    } catch (e) {
      stopSync();
      throw e;
    }
    cleanups.add(stopSync);
    return {
      dir,
      dnsPort,
      dohPort,
      dohUrl: doh ? `http://127.0.0.1:${dohPort}/dns-query` : null,
      log: (name = 'unbound') => readLog(path.join(dir, `${name}.log`)),
      async stop() {
        cleanups.delete(stopSync);
        stopSync();
      },
    };
  });
}

/** Postfix on a free port (root only). Mailboxes: tests/peers/README.md. */
export async function startPostfix({ milter = false } = {}) {
  return withRetries('postfix', async () => {
    const dir = tempDir('prebounce-worker-smtp.');
    const smtpPort = await freePort();
    const stopSync = () => { try { peerScript('postfix.sh', 'stop', dir); } finally { removeDir(dir); } };
    try {
      peerScript('postfix.sh', 'start', dir, { SMTP_PORT: String(smtpPort), PF_MILTER: milter ? '1' : '0' });
    } catch (e) {
      stopSync();
      throw e;
    }
    cleanups.add(stopSync);
    return {
      dir,
      smtpPort,
      log: () => readLog(path.join(dir, 'maillog')),
      /** SMTP sessions Postfix saw so far (start's readiness probe is one). */
      sessions: () => (readLog(path.join(dir, 'maillog')).match(/smtpd\[\d+\]: connect from/g) ?? []).length,
      async stop() {
        cleanups.delete(stopSync);
        stopSync();
      },
    };
  });
}

function readLog(file) {
  try { return readFileSync(file, 'utf8'); } catch { return ''; }
}

/**
 * `prebounce serve --listen 127.0.0.1:0` with PREBOUNCE_SECRET set, aimed at
 * the given DNS server and SMTP port (`--allow-private`: the MX is loopback).
 * Answers { url, probeUrl, pid, logs(), stop() }.
 */
export async function startServe({ dnsPort, smtpPort, secret = PROBE_SECRET, args = [] }) {
  if (!existsSync(probeBin)) throw new Error(`${probeBin} is missing: cargo build -p prebounce-cli`);
  const child = spawn(probeBin, [
    'serve', '--listen', '127.0.0.1:0',
    '--helo', 'probe.prebounce.test', '--from', 'probe@example.com',
    '--allow-private', '--smtp-port', String(smtpPort), '--resolver', `127.0.0.1:${dnsPort}`,
    ...args,
  ], {
    env: { ...process.env, PREBOUNCE_SECRET: secret, RUST_LOG: process.env.RUST_LOG ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const killSync = () => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } };
  cleanups.add(killSync);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let addr;
  try {
    addr = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('no "listening on" line within 30 s')), 30_000);
      child.stdout.setEncoding('utf8').on('data', (d) => {
        out += d;
        const m = /^listening on http:\/\/(\S+)$/m.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`exited (${code ?? signal})`)); });
    });
  } catch (e) {
    killSync();
    cleanups.delete(killSync);
    throw new Error(`prebounce serve did not start: ${e.message}\n${stderr}`);
  }
  const url = `http://${addr}`;
  return {
    url,
    probeUrl: `${url}/v1/probe`,
    pid: child.pid,
    secret,
    logs: () => stderr,
    /** Whether the process is still running. */
    running: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      cleanups.delete(killSync);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM'); // by pid
      const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 5000))]);
      if (!done) { killSync(); await exited; }
    },
  };
}

/** The three X-Prebounce-* headers signing `body` for POST `pathname` (docs/DESIGN.md). */
export function signProbe(secret, pathname, body, timestamp = Math.floor(Date.now() / 1000)) {
  const nonce = randomBytes(16).toString('hex');
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const canonical = `POST\n${pathname}\n${timestamp}\n${nonce}\n${bodyHash}`;
  return {
    'X-Prebounce-Timestamp': String(timestamp),
    'X-Prebounce-Nonce': nonce,
    'X-Prebounce-Signature': createHmac('sha256', secret).update(canonical).digest('hex'),
  };
}

/** A signed POST /v1/probe straight to `serve` (no worker); answers { status, json }. */
export async function probeDirect(serve, payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(serve.probeUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...signProbe(serve.secret, '/v1/probe', body) },
    body,
  });
  return { status: res.status, json: await res.json() };
}

// ------------------------------------------------------------------- worker

/** The bindings of a worker wired to `dns` and `serve` (either may be null). */
export function bindingsFor({ dns = null, serve = null } = {}) {
  return {
    ...(dns?.dohUrl ? { DOH_URL: dns.dohUrl } : {}),
    ...(serve ? { PROBE_URL: serve.probeUrl, PROBE_SECRET: serve.secret } : {}),
    API_KEYS,
  };
}

/** The worker's D1 binding (wrangler.toml `[[d1_databases]]`). */
export const D1_BINDING = 'SUPPRESSIONS_DB';

/**
 * worker/build/ in Miniflare (local workerd) with these bindings (vars and
 * secrets alike are text bindings). No network beyond what the worker
 * fetches itself; `cf: false` keeps Miniflare from downloading cf.json.
 * The worker gets an empty in-memory D1 database as SUPPRESSIONS_DB unless
 * `d1: false` (then it has no suppression store), or the one kept in
 * `d1Persist` (a directory: what `wrangler d1 … --local --persist-to DIR`
 * keeps under DIR/v3/d1, found by wrangler's local id, the binding name).
 * `await worker.d1()` is that database, for a test to look into directly.
 */
export async function startWorker(bindings = {}, { d1 = true, d1Persist = null } = {}) {
  requireBuilt();
  const mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: path.join(buildDir, 'index.js') },
      { type: 'CompiledWasm', path: path.join(buildDir, 'index_bg.wasm') },
    ],
    modulesRoot: buildDir,
    compatibilityDate,
    bindings,
    // as wrangler.toml: binding RATE_LIMITER, class RateLimiter, SQLite-backed
    durableObjects: { RATE_LIMITER: { className: 'RateLimiter', useSQLite: true } },
    // as wrangler.toml: binding SUPPRESSIONS_DB; in memory, gone on dispose
    ...(d1 && !d1Persist ? { d1Databases: { [D1_BINDING]: 'prebounce-suppressions-test' } } : {}),
    ...(d1 && d1Persist ? { d1Databases: { [D1_BINDING]: D1_BINDING }, d1Persist } : {}),
    cf: false,
  });
  const url = await mf.ready; // http://127.0.0.1:PORT/, workerd's own socket
  let disposed = false;
  const worker = {
    mf,
    url,
    /** The worker's D1 database (a promise of Miniflare's D1Database: prepare, batch, exec). */
    d1: () => mf.getD1Database(D1_BINDING),
    /** `mf.dispatchFetch` of a path on the worker, not validated; answers the Response. */
    rawFetch: (pathname, init) => mf.dispatchFetch(new URL(pathname, 'http://localhost').href, init),
    /**
     * `mf.dispatchFetch` of a path on the worker; answers the Response after
     * validating (a copy of) it against the OpenAPI document (./openapi.mjs):
     * a status the document does not list for the operation, or a body that
     * does not match its schema, throws.
     */
    async fetch(pathname, init = {}) {
      const res = await worker.rawFetch(pathname, init);
      const text = await res.clone().text();
      validateResponse({
        method: init.method ?? 'GET',
        pathname: new URL(pathname, 'http://localhost').pathname,
        status: res.status,
        headers: res.headers,
        text,
      });
      return res;
    },
    /** GET/POST a path (validated as `fetch`); answers { status, headers, json } (json null when the body is not JSON). */
    async request(pathname, init) {
      const res = await worker.fetch(pathname, init);
      const text = await res.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, headers: res.headers, json, text };
    },
    /**
     * POST /v1/check {"emails", "options"} with `Authorization: Bearer key`
     * (none when `key` is null) and an Origin header when given. Options
     * default to TEST_OPTIONS (the test zones are under .test).
     */
    check(emails, { key = SK, origin = null, options = TEST_OPTIONS, headers = {} } = {}) {
      return worker.request('/v1/check', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(key ? { Authorization: `Bearer ${key}` } : {}),
          ...(origin ? { Origin: origin } : {}),
          ...headers,
        },
        body: JSON.stringify({ emails, options }),
      });
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await mf.dispose();
    },
  };
  return worker;
}

// -------------------------------------------------------------------- world

/**
 * DNS + DoH, Postfix, `prebounce serve` and the worker, wired together.
 * Answers the parts plus `check`, `request`, `fetch` of the worker and
 * `stop()`, which stops everything in reverse order; each stop runs even if
 * an earlier one throws. A part that fails to start stops those before it.
 */
export async function startWorld({ postfix = true, serve = true, bindings = {} } = {}) {
  const world = { dns: null, postfix: null, serve: null, worker: null };
  world.stop = async () => {
    const errors = [];
    for (const part of ['worker', 'serve', 'postfix', 'dns']) {
      const p = world[part];
      if (!p) continue;
      world[part] = null;
      try { await (p.dispose ?? p.stop).call(p); } catch (e) { errors.push(`${part}: ${e.message}`); }
    }
    if (errors.length) throw new Error(`stopping the world: ${errors.join('; ')}`);
  };
  try {
    world.dns = await startDns({ doh: true });
    if (postfix) world.postfix = await startPostfix();
    if (serve) {
      world.serve = await startServe({ dnsPort: world.dns.dnsPort, smtpPort: world.postfix?.smtpPort ?? (await deadPort()) });
    }
    world.worker = await startWorker({ ...bindingsFor(world), ...bindings });
  } catch (e) {
    await world.stop().catch(() => {});
    throw e;
  }
  world.check = (...a) => world.worker.check(...a);
  world.request = (...a) => world.worker.request(...a);
  world.fetch = (...a) => world.worker.fetch(...a);
  return world;
}

/**
 * A request written to workerd's socket by hand, the body sent with
 * `Transfer-Encoding: chunked` (no Content-Length) in one write; answers the
 * raw response text, validated against the OpenAPI document like
 * `worker.fetch`. Unlike fetch(), it still reads a response that the server
 * sends before it has read the whole body (then resets the connection).
 */
export async function rawChunkedRequest(worker, { method = 'POST', pathname, headers = {}, body }) {
  const raw = await rawChunkedExchange(worker, { method, pathname, headers, body });
  validateResponse({ method, pathname, ...parseRawResponse(raw) });
  return raw;
}

function rawChunkedExchange(worker, { method, pathname, headers, body }) {
  const { hostname, port } = new URL(worker.url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname);
    let got = '';
    s.setTimeout(30_000, () => { s.destroy(); reject(new Error('no response within 30 s')); });
    s.on('data', (d) => { got += d; });
    s.on('error', (e) => (got ? resolve(got) : reject(e)));
    s.on('close', () => resolve(got));
    const lines = [`${method} ${pathname} HTTP/1.1`, 'Host: localhost', 'Connection: close',
      'Transfer-Encoding: chunked', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    let req = lines.join('\r\n') + '\r\n\r\n';
    for (let i = 0; i < body.length; i += 16 * 1024) {
      const part = body.slice(i, i + 16 * 1024);
      req += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
    }
    s.write(req + '0\r\n\r\n');
  });
}

/** The verdict for `email` in a /v1/check answer (throws when absent). */
export function verdictOf(answer, email) {
  const v = answer.json?.results?.find((r) => r.input === email);
  if (!v) throw new Error(`no verdict for ${email} in ${answer.status} ${answer.text}`);
  return v;
}

/** An RFC 8484 wire-format query for `name`/`type` (MX 15, A 1), base64url for ?dns=. */
export function dnsQuery(name, type = 15) {
  const labels = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const q = Buffer.concat([header, ...labels, Buffer.from([0, 0, type, 0, 1])]);
  return q.toString('base64url');
}

/** The 220 greeting of an SMTP server (then QUIT). */
export function smtpBanner(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error('no SMTP greeting within 10 s')); });
    s.on('data', (d) => {
      got += d;
      if (got.includes('\n')) { s.end('QUIT\r\n'); resolve(got.split('\r\n')[0]); }
    });
    s.on('error', reject);
  });
}

