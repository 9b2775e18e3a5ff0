#!/usr/bin/env node
// Times the npm package's checkMany over a corpus, in the baselines' JSON-line
// format (bench/baselines/node/run.mjs): read once untimed, full disposable
// data loaded, warm-up, best and median of RUNS passes. Prints two lines: the
// corpus as an array of strings, and as one newline-separated string.
//
//   node bench/npm/checkmany.mjs CORPUS [--runs 3]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = await import(path.join(here, '../../crates/wasm/dist/node.js'));
const [corpusPath, ...rest] = process.argv.slice(2);
if (!corpusPath) {
  console.error('usage: node checkmany.mjs CORPUS [--runs N]');
  process.exit(2);
}
const runsAt = rest.indexOf('--runs');
const runs = runsAt >= 0 ? Number(rest[runsAt + 1]) : 3;

await pkg.loadDisposableData();
const text = readFileSync(corpusPath, 'utf8');
const array = text.split('\n');
if (array[array.length - 1] === '') array.pop();
const joined = array.join('\n');

for (const [form, input] of [['array', array], ['string', joined]]) {
  pkg.checkMany(input.slice(0, 100_000)).free(); // warm-up
  const times = [];
  let accepted = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const result = pkg.checkMany(input);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    times.push(seconds);
    accepted = result.length - result.counts.byReason.invalid_syntax;
    result.free();
  }
  times.sort((a, b) => a - b);
  const best = times[0];
  const median = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({
    library: `prebounce checkMany (${form})`,
    package: `prebounce@${pkg.version()}`,
    addresses: array.length,
    seconds: best,
    per_second: Math.round(array.length / best),
    accepted,
    rejected: array.length - accepted,
    seconds_median: median,
    per_second_median: Math.round(array.length / median),
    runs: times,
    runtime: `node ${process.version}`,
    checks: 'syntax + IDN + disposable (full list) + free + role + typo',
  }));
}
