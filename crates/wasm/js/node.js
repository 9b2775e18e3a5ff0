// Node.js entry (Node >= 20): ready on import, no init() needed.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { makeApi } from './api.js';
import { makeAttach } from './form.js';

const require = createRequire(import.meta.url);
const wasm = require('./wasm/node/prebounce_wasm.js');
const api = makeApi(() => wasm);

export const {
  check, checkMany, suggest, version, disposableStatus, sniffDelimiter, detectColumns, invalidEncodingVerdict, guardFormula,
} = api;
/** Validates an `<input type="email">` as the user types (see the README). */
export const attach = makeAttach(api);

/** Already initialised in Node; kept so code can call it in both worlds. */
export async function init() {}

/** The packaged full disposable data file. */
export const disposableDataUrl = new URL('./disposable.bin', import.meta.url);

/**
 * Loads the full disposable list: a file path, a file:/http(s): URL, a
 * Response, an ArrayBuffer or a Uint8Array (default: the packaged file).
 */
export async function loadDisposableData(source = disposableDataUrl) {
  return api.loadDisposableBytes(await toBytes(source));
}

async function toBytes(source) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`prebounce: disposable data: HTTP ${source.status}`);
    return new Uint8Array(await source.arrayBuffer());
  }
  if (source instanceof URL || typeof source === 'string') {
    const url = typeof source === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(source) ? null : new URL(source);
    if (url === null || url.protocol === 'file:') {
      return new Uint8Array(await readFile(url === null ? source : fileURLToPath(url)));
    }
    return toBytes(await fetch(url));
  }
  throw new TypeError('prebounce.loadDisposableData(source): source must be a path, URL, Response, ArrayBuffer or Uint8Array');
}

export { CheckResults, OPTION_NAMES, STATUSES, REASONS, ERROR_CODES, FLAGS } from './api.js';
