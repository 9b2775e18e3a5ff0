#!/usr/bin/env node
// Time a JavaScript email-validation library over a corpus file.
//
//   node bench/baselines/node/run.mjs LIBRARY CORPUS [--runs 3] [--limit N] [--by-category]
//
// LIBRARY is one of:
//   validator        validator.isEmail(s)            (default options)
//   email-validator  EmailValidator.validate(s)
//   mailchecker      MailChecker.isValid(s)           (syntax + its disposable list)
//   mailcheck        Mailcheck.run({ email: s })      (typo suggestion; "accepted" =
//                                                      no suggestion, "suggested" = the rest)
//
// Reads CORPUS once (UTF-8, split on "\n" only, lines never trimmed; not
// timed), warms up on the first 100,000 addresses (twice), then times RUNS
// passes over all addresses with process.hrtime.bigint(), reporting the best
// ("seconds", "per_second") and the median. Prints one JSON line:
// {"library":"validator.isEmail","addresses":N,"seconds":S,"per_second":R,"accepted":A,...}
// (same shape as bench/baselines/python/run.py).
//
// --limit N times only the first N addresses and extrapolates "seconds" to the
// whole corpus ("extrapolated": true). --by-category adds an untimed pass
// that counts accepted addresses per corpus category, from CORPUS's
// .labels.txt written by bench/gen_corpus.py.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';

const require = createRequire(import.meta.url);
const WARMUP = 100_000;

function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error('usage: node run.mjs validator|email-validator|mailchecker|mailcheck CORPUS [--runs N] [--limit N] [--by-category]');
  process.exit(2);
}

const LIBRARIES = {
  validator: () => {
    const validator = require('validator');
    return { name: 'validator.isEmail', pkg: 'validator', options: 'default', checks: 'syntax', check: (s) => validator.isEmail(s) };
  },
  'email-validator': () => {
    const ev = require('email-validator');
    return { name: 'email-validator.validate', pkg: 'email-validator', options: 'default', checks: 'syntax', check: (s) => ev.validate(s) };
  },
  mailchecker: () => {
    const mc = require('mailchecker');
    return { name: 'mailchecker.isValid', pkg: 'mailchecker', options: 'default', checks: 'syntax+disposable', check: (s) => mc.isValid(s) };
  },
  mailcheck: () => {
    const Mailcheck = require('mailcheck');
    // run() returns the suggestion object (or undefined when there is none)
    // with its default domain / second-level / top-level lists.
    return {
      name: 'mailcheck.run',
      pkg: 'mailcheck',
      options: 'default domains, suggestion => not accepted',
      checks: 'typo-suggestion',
      check: (s) => !Mailcheck.run({ email: s }),
    };
  },
};

function parseArgs(argv) {
  const pos = [];
  const opts = { runs: 3, limit: 0, byCategory: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') opts.runs = Number(argv[++i]);
    else if (a === '--limit') opts.limit = Number(argv[++i]);
    else if (a === '--by-category') opts.byCategory = true;
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else pos.push(a);
  }
  if (pos.length !== 2) usage();
  if (!Number.isInteger(opts.runs) || opts.runs < 1) usage('--runs must be a positive integer');
  if (!Number.isInteger(opts.limit) || opts.limit < 0) usage('--limit must be a non-negative integer');
  return { library: pos[0], corpus: pos[1], ...opts };
}

function pass(check, addresses) {
  let accepted = 0;
  let errors = 0;
  for (let i = 0; i < addresses.length; i++) {
    try {
      if (check(addresses[i])) accepted++;
    } catch {
      errors++; // a library throwing on odd input: count it, don't abort
    }
  }
  return { accepted, errors };
}

const args = parseArgs(process.argv.slice(2));
const make = LIBRARIES[args.library];
if (!make) usage(`unknown library ${args.library}`);
const lib = make();
const version = require(`${lib.pkg}/package.json`).version;

const raw = readFileSync(args.corpus);
const digest = createHash('sha256').update(raw).digest('hex');
const all = raw.toString('utf8').split('\n');
if (all.length && all[all.length - 1] === '') all.pop();
const total = all.length;
const addresses = args.limit && args.limit < total ? all.slice(0, args.limit) : all;
const n = addresses.length;

const warm = addresses.slice(0, WARMUP);
pass(lib.check, warm);
pass(lib.check, warm);

const times = [];
let result;
for (let r = 0; r < args.runs; r++) {
  const t0 = process.hrtime.bigint();
  result = pass(lib.check, addresses);
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}

const sorted = [...times].sort((a, b) => a - b);
const best = sorted[0];
const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
const scale = total / n;
const round6 = (x) => Math.round(x * 1e6) / 1e6;

const out = {
  library: lib.name,
  addresses: total,
  seconds: round6(best * scale),
  per_second: Math.round(n / best),
  accepted: result.accepted,
  rejected: n - result.accepted - result.errors,
  errors: result.errors,
  seconds_median: round6(median * scale),
  per_second_median: Math.round(n / median),
  runs: times.map(round6),
  extrapolated: n !== total,
  measured_addresses: n,
  measured_seconds: round6(best),
  package: `${lib.pkg}@${version}`,
  options: lib.options,
  checks: lib.checks,
  runtime: `node ${process.version}`,
  lang: 'js',
  corpus: basename(args.corpus),
  corpus_sha256: digest,
};
if (args.library === 'mailcheck') out.suggested = n - result.accepted - result.errors;

if (args.byCategory) {
  const labelsPath = args.corpus.replace(/\.[^./]*$/, '') + '.labels.txt';
  const cats = readFileSync(labelsPath, 'utf8').split('\n');
  const by = {};
  for (let i = 0; i < n; i++) {
    const c = cats[i].split('\t', 1)[0];
    const slot = (by[c] ??= [0, 0]);
    let ok = false;
    try { ok = !!lib.check(addresses[i]); } catch { /* counted as not accepted */ }
    if (ok) slot[0]++;
    slot[1]++;
  }
  out.accepted_by_category = by;
}

console.log(JSON.stringify(out));
