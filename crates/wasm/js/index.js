// Browser and bundler entry (ES module). Await init() once before checking.
import wasmInit, * as wasm from './wasm/web/prebounce_wasm.js';
import { makeApi } from './api.js';
import { makeAttach } from './form.js';

let loaded = false;
let loading = null;
const api = makeApi(() => {
  if (!loaded) throw new Error('prebounce: the WebAssembly module is not loaded yet; call and await init() first');
  return wasm;
});

export const {
  check, checkMany, suggest, version, disposableStatus, sniffDelimiter, detectColumns, invalidEncodingVerdict, guardFormula,
} = api;
/** Validates an `<input type="email">` as the user types (see the README). */
export const attach = makeAttach(api);

/**
 * Loads the WebAssembly module (once; later calls share the same promise).
 * `source` overrides where the .wasm comes from (a URL, Response or module).
 * Rejects with a readable Error when the module cannot be loaded.
 */
export function init(source) {
  if (loading === null) {
    const wasmUrl = source ?? new URL('./wasm/web/prebounce_wasm_bg.wasm', import.meta.url);
    loading = wasmInit({ module_or_path: wasmUrl }).then(
      () => { loaded = true; },
      (e) => {
        loading = null;
        throw new Error(`prebounce: could not load its WebAssembly module (${String(wasmUrl)}): ${e?.message ?? e}`, { cause: e });
      },
    );
  }
  return loading;
}

/** Where the packaged full disposable data file is. */
export const disposableDataUrl = new URL('./disposable.bin', import.meta.url);

/**
 * Loads the full disposable list: a URL, a Response, an ArrayBuffer or a
 * Uint8Array (default: the packaged file). Resolves to the disposable status.
 */
export async function loadDisposableData(source = disposableDataUrl) {
  let bytes;
  if (source instanceof Uint8Array) bytes = source;
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (source instanceof Response || typeof source === 'string' || source instanceof URL) {
    const response = source instanceof Response ? source : await fetch(source);
    if (!response.ok) throw new Error(`prebounce: disposable data: HTTP ${response.status} for ${response.url}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } else {
    throw new TypeError('prebounce.loadDisposableData(source): source must be a URL, Response, ArrayBuffer or Uint8Array');
  }
  await init();
  return api.loadDisposableBytes(bytes);
}

export { CheckResults, OPTION_NAMES, STATUSES, REASONS, ERROR_CODES, FLAGS } from './api.js';
