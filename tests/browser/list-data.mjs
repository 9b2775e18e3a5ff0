// A seeded list for the list checker's tests: a CSV of `rows` records with
// extra columns (quoted fields, commas, the odd line break inside a field),
// a mix of valid, invalid, disposable (built-in and full-list-only), typo,
// role and internationalized addresses, a few rows without an address, a
// few blank lines and a few cells that are not UTF-8.
//
//   const { bytes, noAddressLines, badLines } = makeList({ rows: 100_000 });
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function words(file) {
  return readFileSync(path.join(root, file), 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

/** mulberry32: small, fast, seeded. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['ana', 'bob', 'chloé', 'dmitri', 'emma', 'farid', 'grace', 'hiro', 'ines', 'jan', 'kofi', 'lena', 'mateo', 'nora', 'olu', 'priya', 'quinn', 'rosa', 'sven', 'tariq', 'uma', 'vik', 'wen', 'xavier', 'yara', 'zoë'];
const LAST = ['smith', 'garcia', 'müller', 'nguyen', 'okafor', 'rossi', 'kowalski', 'tanaka', 'silva', 'dubois', 'o\'brien', 'haddad', 'jensen', 'ivanov', 'kim'];
const FREE = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'gmx.de', 'web.de', 'mail.ru', 'proton.me', 'aol.com'];
const CORP = ['example.com', 'acme-logistics.com', 'nordwind.de', 'example.org', 'globex.co.uk', 'initech.io', 'umbrella.example', 'contoso.com'];
const CURATED_DISPOSABLE = ['mailinator.com', 'yopmail.com', 'guerrillamail.com', '10minutemail.com', 'sharklasers.com'];
const TYPOS = ['gmial.com', 'gmail.con', 'hotmial.com', 'yahooo.com', 'outlok.com', 'gmai.com', 'hotmail.co', 'icloud.con'];
const IDN = ['bücher.de', 'münchen.de', 'пример.рф', '例子.中国', 'exämple.com'];
const INVALID = [
  'john.example.com', 'john@', '@example.com', 'jo hn@example.com', 'john..doe@example.com',
  'john@example', 'john@example..com', 'john@-example.com', 'john@example.com.', '"john"@example.com',
  'John Doe <john@example.com>', 'john@localhost', 'john@site.test', 'john@gmailcom', 'a@b@c.com',
  `${'x'.repeat(65)}@example.com`, 'john@[192.0.2.1]', 'john@123.456',
];

/** Disposable domains only the full data file knows (not in the built-in curated list). */
export function fullOnlyDisposable(n = 40) {
  const curated = new Set(words('crates/core/data/disposable/curated.txt'));
  const all = words('crates/core/data/disposable/domains.txt').filter((d) => !curated.has(d) && /^[a-z0-9.-]+$/.test(d));
  const step = Math.floor(all.length / n);
  return Array.from({ length: n }, (_, k) => all[k * step]);
}

function csvCell(s) {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The list as bytes, with where its special rows are: `noAddressLines`
 * (1-based lines of records whose address cell is empty), `badLines` (lines
 * that are not UTF-8), `lastAddressLine` (where the last record with an
 * address starts), `lines` (physical lines) and `records`.
 */
export function makeList({ rows = 100_000, seed = 6 } = {}) {
  const random = rng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const roles = words('crates/core/data/roles.txt');
  const fullOnly = fullOnlyDisposable();
  const parts = [];
  const noAddressLines = [];
  const badLines = [];
  let lastAddressLine = 0;
  let line = 1;
  const push = (text, lines = 1) => { parts.push(Buffer.from(text, 'utf8')); line += lines; };
  push('id,first_name,last_name,email,company,notes\n');
  for (let i = 1; i <= rows; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const local = random() < 0.5 ? `${first}.${last}` : `${first[0]}${last}${Math.floor(random() * 100)}`;
    const r = random();
    let email;
    if (r < 0.40) email = `${local}@${pick(FREE)}`;
    else if (r < 0.58) email = `${local}@${pick(CORP)}`;
    else if (r < 0.63) email = `${pick(roles)}@${pick(CORP)}`;
    else if (r < 0.67) email = `${local}@${pick(CURATED_DISPOSABLE)}`;
    else if (r < 0.70) email = `${local}@${pick(fullOnly)}`;
    else if (r < 0.76) email = `${local}@${pick(TYPOS)}`;
    else if (r < 0.84) email = pick(INVALID);
    else if (r < 0.86) email = `${first}@${pick(IDN)}`;
    else if (r < 0.88) email = `  ${local.toUpperCase()}@${pick(FREE).toUpperCase()} `;
    else email = `${local}@${pick(FREE)}`;
    const company = random() < 0.3 ? `${pick(LAST)}, ${pick(LAST)} & Co` : pick(CORP).split('.')[0];
    let notes = '';
    let extraLines = 0;
    const n = random();
    if (n < 0.05) notes = 'said "call me"';
    else if (n < 0.0502) { notes = 'first line\nsecond line'; extraLines = 1; }
    else if (n < 0.1) notes = `signed up ${1 + Math.floor(random() * 28)}/03`;
    const noAddress = i % 2711 === 0;
    const badBytes = i % 33331 === 0;
    if (noAddress) {
      email = i % 2 === 0 ? '' : '   ';
      noAddressLines.push(line);
    } else {
      lastAddressLine = line;
    }
    if (badBytes) {
      // "josé@example.com" in Latin-1: the é is one byte 0xE9, not UTF-8.
      badLines.push(line);
      parts.push(Buffer.from(`${i},${csvCell(first)},${csvCell(last)},jos`, 'utf8'), Buffer.from([0xe9]),
        Buffer.from(`@example.com,${csvCell(company)},${csvCell(notes)}\n`, 'utf8'));
      line += 1 + extraLines;
    } else {
      push(`${i},${csvCell(first)},${csvCell(last)},${csvCell(email)},${csvCell(company)},${csvCell(notes)}\n`, 1 + extraLines);
    }
    if (i % 25013 === 0) push('\n'); // a blank line: skipped by the CLI and the page alike
  }
  return { bytes: Buffer.concat(parts), noAddressLines, badLines, lastAddressLine, lines: line - 1, records: rows, fullOnly };
}
