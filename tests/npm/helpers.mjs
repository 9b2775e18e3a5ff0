// Shared by the npm package tests: where things are, and the TSV tables.
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dist = path.join(root, 'crates/wasm/dist');
export const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
export const cli = path.join(targetDir, 'debug/prebounce');

export function requireBuilt() {
  if (!existsSync(path.join(dist, 'package.json'))) {
    throw new Error(`the npm package is not built: run crates/wasm/build.sh (looked in ${dist})`);
  }
}

/** Decodes the table escapes: \t \n \r \\ \u{XXXX}. */
export function unescape(s) {
  return s.replace(/\\(u\{([0-9a-fA-F]+)\}|t|n|r|\\)/g, (_, e, hex) => {
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return { t: '\t', n: '\n', r: '\r', '\\': '\\' }[e];
  });
}

/** Options from `a,b` / `allow_smtputf8=false` / `-`. */
export function parseOptions(text) {
  const options = {};
  if (text === '-' || text === '') return options;
  for (const part of text.split(',')) {
    const [name, value] = part.split('=');
    options[name.trim()] = value === undefined ? true : value.trim() === 'true';
  }
  return options;
}

/** Rows of equivalence.tsv plus the inputs of the core's syntax table. */
export function equivalenceCases() {
  const cases = [];
  const eq = readFileSync(path.join(root, 'tests/data/equivalence.tsv'), 'utf8');
  for (const line of eq.split('\n')) {
    if (line.startsWith('#') || line.trim() === '' && !line.includes('\t')) continue;
    const tab = line.indexOf('\t');
    cases.push({ options: parseOptions(line.slice(0, tab)), input: unescape(line.slice(tab + 1)) });
  }
  const table = readFileSync(path.join(root, 'crates/core/tests/data/syntax_cases.tsv'), 'utf8');
  for (const line of table.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [input, options] = line.split('\t');
    if (input === undefined || input.includes('{repeat:')) continue;
    cases.push({ options: parseOptions(options ?? '-'), input: unescape(input) });
  }
  return cases;
}

/** The CLI flags for an options object. */
export function cliFlags(options) {
  return Object.entries(options).map(([k, v]) => `--${k.replaceAll('_', '-')}=${v}`);
}

/**
 * The equivalence cases (NUL-free: they travel as arguments) grouped by
 * option set, each group with the CLI's verdicts from one
 * `prebounce check --offline --json` run: [{ key, options, inputs, expected }].
 */
export function cliVerdictGroups() {
  const groups = new Map();
  for (const c of equivalenceCases().filter((c) => !c.input.includes('\0'))) {
    const key = JSON.stringify(c.options);
    if (!groups.has(key)) groups.set(key, { key, options: c.options, inputs: [] });
    groups.get(key).inputs.push(c.input);
  }
  return [...groups.values()].map((g) => {
    const out = execFileSync(cli, ['check', '--offline', '--json', ...cliFlags(g.options), '--', ...g.inputs], { encoding: 'utf8' });
    return { ...g, expected: out.trimEnd().split('\n').map((l) => JSON.parse(l)) };
  });
}
