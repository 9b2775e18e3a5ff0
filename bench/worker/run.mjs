#!/usr/bin/env node
// The edge API's throughput and latency through local workerd (Miniflare),
// over keep-alive HTTP to workerd's own socket, at a fixed concurrency:
// syntax-only requests, DoH requests against a real local DoH server
// (unbound + dnsdist, tests/peers/unbound.sh with BENCH_ZONE=1), cached
// requests, and the bundle size. See bench/worker/README.md.
//
//   bash worker/build.sh                  # once: what is measured is worker/build/
//   node bench/worker/run.mjs             # about a minute and a half on 2 cores
//   node bench/worker/run.mjs --count 1000 --concurrency 8 --only syntax
//
// Options: --count N (requests per case, 5000), --batch-count N (POSTs of
// 100 addresses, 500), --warmup N (untimed requests before each case, 300),
// --concurrency N (16), --only syntax|doh (one group), --json FILE (the
// results as JSON too).
//
// Every process started (workerd through Miniflare, unbound, dnsdist) is
// stopped by pid at the end, also on failure or Ctrl-C (the test harness's
// exit handlers).
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as h from '../../tests/worker/harness.mjs';

const args = parseArgs(process.argv.slice(2), {
  count: 5000, 'batch-count': 500, warmup: 300, concurrency: 16, only: '', json: '',
});
const KEY = 'sk_bench_1';
const BINDINGS = {
  // far above what a run sends: the rate limiter (a Durable Object call per
  // request) still runs, as in production, but never refuses
  API_KEYS: JSON.stringify({ [KEY]: { rate_per_minute: 100_000_000 } }),
};
const FREE_PLAN_GZIP = 3 * 1024 * 1024;

// ------------------------------------------------------------------ client

/** One HTTP/1.1 request on a keep-alive agent; answers { status, body }. */
function send(agent, base, { method = 'GET', pathname, body = null }) {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${KEY}` };
    if (body !== null) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({ host: base.hostname, port: base.port, method, path: pathname, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/**
 * Runs `warmup` untimed requests, then `count` timed ones, `concurrency` at
 * a time, each over a kept-alive connection. `make(phase, i)` builds request
 * i ("warm" or "run"); `check(json)` answers an error text or null. Answers
 * { requests, errors, seconds, rps, p50, p99, firstError }.
 */
async function measure({ base, count, warmup, concurrency, make, check }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const pool = async (n, phase, onDone) => {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        let err;
        try {
          const r = await send(agent, base, make(phase, i));
          if (r.status !== 200) err = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
          else err = check(JSON.parse(r.body), i);
        } catch (e) {
          err = e.message;
        }
        onDone(Number(process.hrtime.bigint() - t0) / 1e6, err);
      }
    }));
  };
  try {
    await pool(warmup, 'warm', () => {});
    const ms = [];
    let errors = 0;
    let firstError = null;
    const t0 = process.hrtime.bigint();
    await pool(count, 'run', (took, err) => {
      ms.push(took);
      if (err) { errors++; firstError ??= err; }
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    ms.sort((a, b) => a - b);
    const q = (p) => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)];
    return { requests: count, errors, seconds, rps: count / seconds, p50: q(0.5), p99: q(0.99), firstError };
  } finally {
    agent.destroy();
  }
}

// ------------------------------------------------------------------- cases

const q = (email, extra = '') => `/v1/check?email=${encodeURIComponent(email)}${extra}`;
const expect = (want) => (v) => {
  for (const [k, val] of Object.entries(want)) {
    const got = k === 'code' ? v.error?.code : v[k];
    if (got !== val) return `${k} ${JSON.stringify(got)}, expected ${JSON.stringify(val)}: ${JSON.stringify(v).slice(0, 300)}`;
  }
  return null;
};

/** Invalid addresses of a few kinds, each decided at depth syntax. */
const INVALID = ['not-an-address', 'a..b@example.com', 'user@-bad-.com', 'user@', '@example.com', 'a b@example.com'];
const syntaxBatch = (phase, i) => Array.from({ length: 100 }, (_, j) => (j % 2
  ? `u${j}@${phase}${i}.bench.test` // special_use_domain (allow_special_use off)
  : INVALID[(i + j) % INVALID.length]));

function syntaxCases() {
  return [
    {
      name: 'GET /healthz (the floor: no key check, no rate limiter, no pipeline)',
      make: () => ({ pathname: '/healthz' }),
      check: (j) => (j.status === 'ok' ? null : JSON.stringify(j)),
    },
    {
      name: 'GET syntax: invalid (6 kinds, rotated)',
      make: (phase, i) => ({ pathname: q(INVALID[i % INVALID.length]) }),
      check: expect({ depth: 'syntax', reason: 'invalid_syntax' }),
    },
    {
      name: 'GET syntax: valid syntax, .test without allow_special_use → special_use_domain',
      make: (phase, i) => ({ pathname: q(`u${i}@${phase}${i}.bench.test`) }),
      check: expect({ depth: 'syntax', reason: 'invalid_syntax', code: 'special_use_domain' }),
    },
    {
      name: 'POST 100 syntax-only addresses',
      batch: 100,
      count: args['batch-count'],
      make: (phase, i) => ({ method: 'POST', pathname: '/v1/check', body: JSON.stringify({ emails: syntaxBatch(phase, i) }) }),
      check: (j) => (j.results?.length === 100 && j.results.every((v) => v.depth === 'syntax' && v.reason === 'invalid_syntax')
        ? null : `not 100 syntax verdicts: ${JSON.stringify(j).slice(0, 300)}`),
    },
  ];
}

function dohCases() {
  const special = '&allow_special_use=true';
  const mx = (v) => (v.dns?.mx?.[0]?.exchange === 'mx.alpha.test' ? null : `no MX: ${JSON.stringify(v).slice(0, 300)}`);
  const both = (...fs) => (v) => fs.map((f) => f(v)).find((e) => e) ?? null;
  return [
    {
      name: 'GET DoH: distinct domain each (DNS and verdict cache miss)',
      make: (phase, i) => ({ pathname: q(`u@${phase}${i}.bench.test`, special) }),
      check: both(expect({ depth: 'dns', status: 'valid', cache: 'miss' }), mx),
    },
    {
      name: 'GET DoH: one domain, distinct addresses (DNS cache hit, verdict miss)',
      make: (phase, i) => ({ pathname: q(`${phase}${i}@cached.bench.test`, special) }),
      check: both(expect({ depth: 'dns', status: 'valid', cache: 'miss' }), mx),
    },
    {
      name: 'GET DoH: one address repeated (verdict cache hit)',
      make: () => ({ pathname: q('u@hit.bench.test', special) }),
      check: both(expect({ depth: 'dns', status: 'valid', cache: 'hit' }), mx),
    },
    {
      name: 'GET DoH: one domain, distinct addresses, VERDICT_CACHE_TTL=0 (DNS cache hit, no verdict cache)',
      bindings: { VERDICT_CACHE_TTL: '0' },
      make: (phase, i) => ({ pathname: q(`${phase}${i}@cached.bench.test`, special) }),
      check: both(expect({ depth: 'dns', status: 'valid', cache: 'miss' }), mx),
    },
  ];
}

// -------------------------------------------------------------------- main

/** gzip -9 size of a file (GNU gzip, as worker/build.sh; zlib when gzip is missing). */
function gzipped(file) {
  const r = spawnSync('gzip', ['-9c', file], { maxBuffer: 64 * 1024 * 1024 });
  if (r.status === 0) return { bytes: r.stdout.length, tool: 'gzip -9' };
  return { bytes: gzipSync(readFileSync(file), { level: 9 }).length, tool: 'zlib level 9' };
}

function bundleSize() {
  const files = ['index.js', 'index_bg.wasm'].map((f) => {
    const p = path.join(h.buildDir, f);
    const gz = gzipped(p);
    return { file: `worker/build/${f}`, raw: statSync(p).size, gzip: gz.bytes, tool: gz.tool };
  });
  const total = { file: 'total', raw: files.reduce((a, f) => a + f.raw, 0), gzip: files.reduce((a, f) => a + f.gzip, 0) };
  return [...files, total];
}

/** What `wrangler deploy --dry-run` (offline) says it would upload: { kib, gzipKib } or null. */
function wranglerUpload() {
  const out = mkdtempSync(path.join(os.tmpdir(), 'prebounce-bench-wrangler-'));
  try {
    const r = spawnSync(path.join(h.root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], {
      cwd: path.join(h.root, 'worker'),
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(`${r.stdout}${r.stderr}`);
    return m ? { kib: Number(m[1]), gzipKib: Number(m[2]) } : null;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

async function main() {
  h.requireBuilt();
  const started = new Date();
  const groups = args.only ? args.only.split(',') : ['syntax', 'doh'];
  const results = [];
  const runCases = async (worker, cases) => {
    for (const c of cases) {
      const count = c.count ?? args.count;
      process.stderr.write(`[bench] ${c.name}: ${args.warmup} warm-up + ${count} requests, concurrency ${args.concurrency} …`);
      const r = await measure({
        base: worker.url, count, warmup: Math.min(args.warmup, count), concurrency: args.concurrency,
        make: c.make, check: c.check,
      });
      process.stderr.write(` ${fmt(r.rps)} req/s, ${r.errors} errors\n`);
      if (r.firstError) process.stderr.write(`[bench]   first error: ${r.firstError}\n`);
      results.push({ name: c.name, batch: c.batch ?? 1, ...r });
    }
  };

  let dns = null;
  let worker = null;
  try {
    if (groups.includes('syntax')) {
      // no DoH needed: nothing here reaches the DNS step (DOH_URL: a dead port)
      worker = await h.startWorker({ ...BINDINGS, DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query` });
      await runCases(worker, syntaxCases());
      await worker.dispose();
      worker = null;
    }
    if (groups.includes('doh')) {
      const why = ['unbound', 'dnsdist'].filter((b) => !['/usr/sbin', '/usr/bin', '/sbin', '/bin']
        .some((d) => { try { return statSync(path.join(d, b)).isFile(); } catch { return false; } }));
      if (why.length) {
        process.stderr.write(`[bench] SKIPPED the DoH cases: ${why.join(', ')} not installed (scripts/setup.sh)\n`);
      } else {
        dns = await h.startDns({ doh: true, env: { BENCH_ZONE: '1' } });
        // no PROBE_URL: verdicts stop at depth dns. A fresh worker (empty
        // caches) for each setting of the cases' extra bindings.
        const cases = dohCases();
        for (const key of [...new Set(cases.map((c) => JSON.stringify(c.bindings ?? {})))]) {
          worker = await h.startWorker({ ...BINDINGS, DOH_URL: dns.dohUrl, ...JSON.parse(key) });
          await runCases(worker, cases.filter((c) => JSON.stringify(c.bindings ?? {}) === key));
          await worker.dispose();
          worker = null;
        }
      }
    }
  } finally {
    await worker?.dispose().catch(() => {});
    await dns?.stop().catch(() => {});
  }

  const size = bundleSize();
  const upload = wranglerUpload();
  const cpu = os.cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model?.trim() ?? 'cpu'}, ${os.platform()} ${os.release()}, Node ${process.version}, ` +
    `miniflare ${pkgVersion('miniflare')} (workerd ${pkgVersion('workerd')})`;
  const lines = [];
  lines.push(`${started.toISOString().slice(0, 10)}, ${machine}; concurrency ${args.concurrency}, ` +
    `${args.warmup} warm-up requests per case, keep-alive HTTP/1.1 from one Node process.`, '');
  lines.push('| case | requests | req/s | addresses/s | p50 ms | p99 ms | errors |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    lines.push(`| ${r.name} | ${fmt(r.requests)} | ${fmt(r.rps)} | ${fmt(r.rps * r.batch)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${r.errors} |`);
  }
  lines.push('', `| bundle | raw bytes | ${size[0].tool} bytes |`, '|---|---:|---:|');
  for (const s of size) lines.push(`| ${s.file} | ${fmt(s.raw)} | ${fmt(s.gzip)} |`);
  if (upload) {
    lines.push(`| what \`wrangler deploy --dry-run\` uploads | ${fmt(upload.kib * 1024)} (${fmt(upload.kib, 2)} KiB) | ${fmt(upload.gzipKib * 1024)} (${fmt(upload.gzipKib, 2)} KiB) |`);
  }
  const gz = upload ? upload.gzipKib * 1024 : size.at(-1).gzip;
  lines.push('', `Compressed, ${fmt(gz)} bytes = ${fmt((100 * gz) / FREE_PLAN_GZIP, 1)} % of the free plan's 3 MB (3,145,728 bytes; 10 MB on paid plans).`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ date: started.toISOString(), machine, args, results, size, upload }, null, 1));
  if (results.some((r) => r.errors)) process.exitCode = 1;
}

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(h.root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !(m[1] in defaults)) {
      process.stderr.write(`usage: node bench/worker/run.mjs [--count N] [--batch-count N] [--warmup N] [--concurrency N] [--only syntax|doh] [--json FILE]\n`);
      process.exit(2);
    }
    const v = m[2] ?? argv[++i];
    out[m[1]] = typeof defaults[m[1]] === 'number' ? Number(v) : v;
    const min = m[1] === 'warmup' ? 0 : 1;
    if (typeof defaults[m[1]] === 'number' && !(Number.isInteger(out[m[1]]) && out[m[1]] >= min)) {
      process.stderr.write(`--${m[1]} must be a whole number, at least ${min}\n`);
      process.exit(2);
    }
  }
  return out;
}

try {
  await main();
} catch (e) {
  process.stderr.write(`[bench] failed: ${e.stack ?? e}\n`);
  process.exitCode = 1;
}
