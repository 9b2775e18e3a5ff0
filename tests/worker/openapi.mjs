// Validates the worker's real responses against its OpenAPI 3.1 document
// (worker/src/openapi.json, the very file the worker serves at
// /openapi.json), with Ajv's JSON Schema 2020-12 build (the dialect of
// OpenAPI 3.1).
//
// The whole document is added to Ajv as one schema named "openapi"; a
// response is validated against `openapi#/paths/<path>/<method>/responses/
// <status>/content/application~1json/schema`, so `$ref`s to
// `#/components/schemas/...` resolve inside the document.
//
//   validateResponse({ method, pathname, status, headers, text })
//
// throws (an AssertionError naming the operation and Ajv's errors) when
//   - the status is not listed for that operation (nor a `4XX`/`default`
//     range), or the operation is not in the document at all and the answer
//     is not the 404 (unknown path) / 405 (known path, other method) that
//     the document's description promises, as an Error object;
//   - a documented body is missing, the content type is not the documented
//     one, or the body does not match the schema; an answer documented
//     without content has a body;
//   - a required documented header is missing or does not match its schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The document, as the worker embeds it (include_str! in handler.rs). */
export const DOC_PATH = path.join(root, 'worker/src/openapi.json');
export const docText = readFileSync(DOC_PATH, 'utf8');
export const doc = JSON.parse(docText);

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// strict: unknown keywords, union types without allowUnionTypes, `required`
// naming undeclared properties … in the document's schemas are errors.
export const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
// The OpenAPI object's own fields are known to Ajv as annotations, so that
// compiling a pointer into the document does not trip strict mode at its
// root; the schemas inside stay strict.
ajv.addVocabulary(['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks',
  'components', 'security', 'tags', 'externalDocs']);
ajv.addSchema(doc, 'openapi');

/** A JSON Pointer token (RFC 6901). */
const token = (s) => String(s).replaceAll('~', '~0').replaceAll('/', '~1');
const pointer = (...parts) => `openapi#/${parts.map(token).join('/')}`;

const compiled = new Map();
/** The compiled validator of the schema at this pointer into the document. */
export function validatorAt(ref) {
  let v = compiled.get(ref);
  if (!v) {
    v = ajv.getSchema(ref);
    if (!v) throw new Error(`${ref} is not in the document`);
    compiled.set(ref, v);
  }
  return v;
}

/** The path as the worker routes it (a trailing slash is ignored). */
function normalPath(pathname) {
  const p = new URL(pathname, 'http://x').pathname.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

/**
 * The document's path for a concrete one: itself, or the templated path it
 * fills in (`/v1/suppressions/a%40b.c` → `/v1/suppressions/{address}`; a
 * parameter is one non-empty segment).
 */
export function templateOf(pathname) {
  const p = normalPath(pathname);
  if (doc.paths[p]) return p;
  const segments = p.split('/');
  for (const t of Object.keys(doc.paths)) {
    const parts = t.split('/');
    if (parts.length === segments.length && parts.some((x) => /^\{[^}]+\}$/.test(x))
      && parts.every((x, i) => /^\{[^}]+\}$/.test(x) ? segments[i] !== '' : x === segments[i])) {
      return t;
    }
  }
  return p;
}

/** The documented operations, as "METHOD path" strings. */
export function operations() {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${p}`);
  }
  return out;
}

/** Every (operation, status) the document lists, as "METHOD path status". */
export function documentedStatuses() {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      if (!item[m]) continue;
      for (const s of Object.keys(item[m].responses ?? {})) out.push(`${m.toUpperCase()} ${p} ${s}`);
    }
  }
  return out;
}

/**
 * Where the response object for (pathname, method, status) is in the
 * document: { op, key, ref } (ref: a pointer to the Response object), or
 * throws when the document does not list that status for the operation.
 * A path or method the document does not have answers
 * { op: null, key: "404" | "405" } (validated as an Error object).
 */
export function responseFor(pathname, method, status) {
  const p = templateOf(pathname);
  const m = method.toLowerCase();
  const item = doc.paths[p];
  const op = item?.[m] ?? (m === 'head' ? item?.get : undefined);
  const opName = `${method.toUpperCase()} ${p}`;
  if (!op) {
    const expected = item ? 405 : 404;
    assert.equal(status, expected,
      `${opName} is not in the document, so the worker must answer ${expected}, not ${status}`);
    return { op: null, opName, key: String(status), ref: null };
  }
  const responses = op.responses ?? {};
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
  assert.ok(key, `${opName} answered ${status}, which the document does not list for it ` +
    `(it lists ${Object.keys(responses).join(', ')})`);
  const opMethod = item[m] ? m : 'get';
  return { op, opName, key, ref: pointer('paths', p, opMethod, 'responses', key) };
}

const ajvErrors = (v) => ajv.errorsText(v.errors, { separator: '\n  ', dataVar: 'body' });

/**
 * Validates one response of the worker. `headers` is a Headers object or a
 * plain object (names in any case); `text` the body as received.
 */
export function validateResponse({ method, pathname, status, headers, text }) {
  const get = (name) => (typeof headers?.get === 'function'
    ? headers.get(name)
    : Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1] ?? null);
  const { op, opName, ref } = responseFor(pathname, method, status);
  const where = `${opName} → ${status}`;
  const isHead = method.toUpperCase() === 'HEAD';

  if (!op) {
    // Not an operation of the document: the description says every error
    // is an Error object; check it is one.
    checkJson(where, get('content-type'), text, validatorAt(pointer('components', 'schemas', 'Error')), isHead);
    return;
  }
  const response = resolveRef(ref);
  const content = response.content ?? null;
  if (!content) {
    assert.equal(text, '', `${where}: the document gives this answer no content, but it has a body: ${text.slice(0, 200)}`);
  } else {
    const types = Object.keys(content);
    assert.deepEqual(types, ['application/json'], `${where}: only application/json is handled here`);
    const schemaRef = `${ref}/content/${token('application/json')}/schema`;
    checkJson(where, get('content-type'), text, validatorAt(schemaRef), isHead);
  }
  for (const [name, h] of Object.entries(response.headers ?? {})) {
    const header = h.$ref ? resolveRef(`openapi${h.$ref}`) : h;
    const value = get(name.toLowerCase());
    if (value === null) {
      assert.ok(!header.required, `${where}: the documented header ${name} is missing`);
      continue;
    }
    if (header.schema) {
      const v = ajv.compile(header.schema);
      const typed = ['integer', 'number'].includes(header.schema.type) && /^-?\d+(\.\d+)?$/.test(value)
        ? Number(value) : value;
      assert.ok(v(typed), `${where}: header ${name}: ${JSON.stringify(value)} does not match its schema: ` +
        ajv.errorsText(v.errors));
    }
  }
}

function checkJson(where, contentType, text, validate, isHead) {
  if (isHead) return; // HEAD answers carry the GET's headers and no body
  assert.match(contentType ?? '', /^application\/json\s*(;|$)/i,
    `${where}: content-type ${contentType}, the document says application/json`);
  let body;
  try {
    body = JSON.parse(text);
  } catch (e) {
    assert.fail(`${where}: the body is not JSON (${e.message}): ${text.slice(0, 200)}`);
  }
  if (!validate(body)) {
    assert.fail(`${where}: the body does not match the document:\n  ${ajvErrors(validate)}\nbody: ${text.slice(0, 2000)}`);
  }
}

/** The object at an `openapi#/...` pointer (a Response or Header object, not a schema). */
function resolveRef(ref) {
  const frag = ref.slice(ref.indexOf('#') + 1);
  let node = doc;
  for (const t of frag.split('/').slice(1)) {
    node = node?.[t.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  if (node === undefined) throw new Error(`${ref} is not in the document`);
  return node.$ref ? resolveRef(`openapi${node.$ref}`) : node;
}

/**
 * Parses a raw HTTP/1.1 response (as read from a socket) into
 * { status, headers, text }; decodes a chunked body.
 */
export function parseRawResponse(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  let body = split < 0 ? '' : raw.slice(split + 4);
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    let out = '';
    let rest = Buffer.from(body);
    for (;;) {
      const eol = rest.indexOf('\r\n');
      if (eol < 0) break;
      const n = parseInt(rest.subarray(0, eol).toString(), 16);
      if (!n) break;
      out += rest.subarray(eol + 2, eol + 2 + n).toString();
      rest = rest.subarray(eol + 2 + n + 2);
    }
    body = out;
  }
  return { status, headers, text: body };
}
