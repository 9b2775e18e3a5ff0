// The API both entry points share, over a wasm-bindgen module that each
// entry loads its own way. Every decision is prebounce-core's; this file only
// checks arguments and shapes values.
import { STATUSES, REASONS, ERROR_CODES, FLAGS } from './codes.js';

/** docs/DESIGN.md's option names, in the module's bit order (a test checks them against it). */
export const OPTION_NAMES = Object.freeze([
  'allow_quoted_local', 'allow_domain_literal', 'allow_smtputf8',
  'allow_single_label', 'allow_special_use', 'role_is_risky',
]);

/**
 * Validates an options object and packs it into the module's bits: bit `i`
 * for `names[i]`, over `defaults` (both the module's: prebounce-core's
 * `Options::NAMES` and `Options::DEFAULT_BITS`).
 */
function packOptions(options, { names, defaults }, where) {
  if (options === undefined || options === null) return defaults;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`prebounce: ${where} must be an object such as { allow_special_use: true }, got ${describe(options)}`);
  }
  let bits = defaults;
  for (const [name, value] of Object.entries(options)) {
    const i = names.indexOf(name);
    if (i < 0) throw new TypeError(`prebounce: unknown option "${name}" (known: ${names.join(', ')})`);
    if (typeof value !== 'boolean') throw new TypeError(`prebounce: option "${name}" must be true or false, got ${describe(value)}`);
    bits = value ? bits | (1 << i) : bits & ~(1 << i);
  }
  return bits;
}

/**
 * The package's functions over a wasm-bindgen module. `ready()` returns the
 * module, or throws when it is not loaded yet.
 */
export function makeApi(ready) {
  const encoder = new TextEncoder();
  let packing = null;
  /** core's list::FORMULA_STARTS, read from the module once. */
  let formulaStarts = null;

  /** Validates an options object and packs it into the module's bits. */
  function optionBits(options, where = 'options') {
    packing ??= { names: ready().optionNames().split(','), defaults: ready().defaultOptionBits() };
    return packOptions(options, packing, where);
  }

  /** The verdict for one address (docs/DESIGN.md's JSON shape). */
  function check(address, options) {
    if (typeof address !== 'string') {
      throw new TypeError(`prebounce.check(address): address must be a string, got ${describe(address)}`);
    }
    return JSON.parse(ready().check(address, optionBits(options)));
  }

  /** The whole corrected address for a likely typo, or null. */
  function suggest(address) {
    if (typeof address !== 'string') {
      throw new TypeError(`prebounce.suggest(address): address must be a string, got ${describe(address)}`);
    }
    return ready().suggest(address) ?? null;
  }

  /**
   * Checks a list in one call: an array (non-strings get their own
   * `invalid_syntax` / `not_a_string` verdict) or one newline-separated string.
   */
  function checkMany(addresses, options) {
    if (typeof addresses !== 'string' && !Array.isArray(addresses)) {
      throw new TypeError(
        `prebounce.checkMany(addresses): addresses must be an array or a newline-separated string, got ${describe(addresses)}`,
      );
    }
    const bits = optionBits(options);
    const list = asLines(addresses);
    if (typeof list === 'string') {
      // UTF-8 bytes cross as one bulk copy; a string would cross a character at a time.
      return new CheckResults(ready().checkManyBytes(encoder.encode(list), bits));
    }
    return new CheckResults(ready().checkMany(list, bits));
  }

  /**
   * An array of plain one-line strings crosses into WebAssembly fastest as one
   * newline-joined string (one conversion instead of one per row); anything
   * else (non-strings, line breaks inside an item, a trailing empty item that
   * joining would lose) goes over as the array itself.
   */
  function asLines(addresses) {
    if (typeof addresses === 'string') return addresses;
    const n = addresses.length;
    if (n === 0 || addresses[n - 1] === '') return addresses;
    for (let i = 0; i < n; i++) {
      const s = addresses[i];
      if (typeof s !== 'string' || s.includes('\n') || s.includes('\r')) return addresses;
    }
    return addresses.join('\n');
  }

  /** The package version. */
  function version() {
    return ready().version();
  }

  /** Installs the full disposable list from the bytes of its data file. */
  function loadDisposableBytes(bytes) {
    ready().loadDisposableBytes(bytes);
    return disposableStatus();
  }

  /** How many disposable domains are known: `{ full, curated, fullLoaded }`. */
  function disposableStatus() {
    const [full, curated] = ready().disposableCounts();
    return { full, curated, fullLoaded: full > 0 };
  }

  /**
   * The delimiter of a CSV list (',', ';' or '\t'): the most used on its
   * first line outside quotes; a tie goes ',' then ';' then tab.
   */
  function sniffDelimiter(text) {
    if (typeof text !== 'string') {
      throw new TypeError(`prebounce.sniffDelimiter(text): text must be a string, got ${describe(text)}`);
    }
    // Only the first line counts, within 64 KiB: no need to copy a whole
    // list into WebAssembly memory (65,536 characters are at least as many bytes).
    return String.fromCharCode(ready().sniffDelimiter(text.slice(0, 65536)));
  }

  /**
   * The header and the address column of a CSV list from its first records
   * (arrays of strings, blank records left out):
   * `{ hasHeader, column, byName, found, width, rows }`.
   */
  function detectColumns(records) {
    if (!Array.isArray(records) || !records.every((r) => Array.isArray(r) && r.every((c) => typeof c === 'string'))) {
      throw new TypeError(`prebounce.detectColumns(records): records must be an array of arrays of strings, got ${describe(records)}`);
    }
    // One string crosses (cells end with U+001F, records with U+001E): far
    // less glue code in the module than an array of arrays. Those two
    // characters inside a cell become U+FFFD: like them, neither white space,
    // a digit, an @ nor a dot, so the rule reads the cell the same.
    const joined = records.map((r) => r.map((c) => `${c.replace(/[\u001e\u001f]/g, '\uFFFD')}\u001f`).join('') + '\u001e').join('');
    const [hasHeader, column, byName, found, width, rows] = ready().detectColumns(joined);
    return { hasHeader: hasHeader === 1, column, byName: byName === 1, found: found === 1, width, rows };
  }

  /** The verdict for a line that is not UTF-8 (decoded with U+FFFD in place of its bad bytes). */
  function invalidEncodingVerdict(text) {
    if (typeof text !== 'string') {
      throw new TypeError(`prebounce.invalidEncodingVerdict(text): text must be a string, got ${describe(text)}`);
    }
    return JSON.parse(ready().invalidEncoding(text));
  }

  /** A cell for a CSV export, with a leading ' when a spreadsheet would run it as a formula. */
  function guardFormula(cell) {
    if (typeof cell !== 'string') {
      throw new TypeError(`prebounce.guardFormula(cell): cell must be a string, got ${describe(cell)}`);
    }
    formulaStarts ??= ready().formulaStarts();
    return cell.length > 0 && formulaStarts.includes(cell[0]) ? `'${cell}` : cell;
  }

  return {
    check, suggest, checkMany, version, loadDisposableBytes, disposableStatus, optionBits,
    sniffDelimiter, detectColumns, invalidEncodingVerdict, guardFormula,
  };
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * A checked list: per-row codes in typed arrays (transferable to a Web Worker
 * without copying), counts, and verdict objects only for the rows asked for.
 */
export class CheckResults {
  #set;

  constructor(set) {
    this.#set = set;
    /** Number of rows. */
    this.length = set.length;
    /** Per-row status codes (see STATUSES). */
    this.status = set.statusCodes();
    /** Per-row reason codes (see REASONS). */
    this.reason = set.reasonCodes();
    /** Per-row flag bits (see FLAGS). */
    this.flags = set.flagBits();
    /** Per-row syntax error codes (see ERROR_CODES), 255 for none. */
    this.errors = set.errorCodes();
    const byStatusCodes = set.statusCounts();
    const byReasonCodes = set.reasonCounts();
    const byStatus = {};
    STATUSES.forEach((name, i) => { byStatus[name] = byStatusCodes[i]; });
    const byReason = {};
    REASONS.forEach((name, i) => { byReason[name] = byReasonCodes[i]; });
    /** `{ total, byStatus: {valid, …}, byReason: {ok, …} }`. */
    this.counts = { total: this.length, byStatus, byReason };
  }

  /** The full verdict of row `i` (built on demand), or undefined past the end. */
  verdict(i) {
    if (!this.#row(i)) return undefined;
    return JSON.parse(this.#set.verdict(i));
  }

  /** Row `i` as given. */
  input(i) {
    return this.#row(i) ? this.#set.input(i) : undefined;
  }

  #row(i) {
    if (this.#set === null) throw new Error('prebounce: these results were freed; check the list again');
    return Number.isInteger(i) && i >= 0 && i < this.length;
  }

  /** The status name of row `i`. */
  statusOf(i) {
    return STATUSES[this.status[i]];
  }

  /** The reason name of row `i`. */
  reasonOf(i) {
    return REASONS[this.reason[i]];
  }

  /** Whether row `i` has a flag (`'disposable'`, `'role'`, `'free'`, `'smtputf8'`). */
  hasFlag(i, flag) {
    return (this.flags[i] & FLAGS[flag]) !== 0;
  }

  /** Releases the rows' text held in WebAssembly memory (verdict() stops working). */
  free() {
    if (this.#set !== null) {
      this.#set.free();
      this.#set = null;
    }
  }
}

export { STATUSES, REASONS, ERROR_CODES, FLAGS };
