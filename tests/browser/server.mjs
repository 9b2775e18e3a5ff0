// A tiny static server for the browser tests (node:http, no dependency):
// the repo's www/ at /, the built npm package crates/wasm/dist/ at /pkg/,
// third-party browser code from node_modules at /vendor/ (scripts/www-vendor.mjs), and
// a fake edge API (GET and POST /v1/check) on a second port, so the page reaches it
// cross-origin with a CORS preflight as it would a real deployment.
//
//   import { startServer } from './server.mjs';
//   const s = await startServer(); s.url, s.apiUrl, s.requests; await s.close();
//
// Run by hand to try the demo: node tests/browser/server.mjs
import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vendorFile } from '../../scripts/www-vendor.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WWW_DIR = path.join(root, 'www');
export const PKG_DIR = path.join(root, 'crates/wasm/dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

// A page with nothing on it, for tests that drive the helper by hand.
const BLANK = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body></body></html>';

/** The fake edge API's verdict for `email`, docs/DESIGN.md's shape. */
export function fakeVerdict(email, fields) {
  const at = email.lastIndexOf('@');
  const local = at > 0 ? email.slice(0, at) : null;
  const domain = at > 0 ? email.slice(at + 1).toLowerCase() : null;
  return {
    input: email,
    address: local && `${local}@${domain}`,
    address_unicode: local && `${local}@${domain}`,
    local,
    domain,
    domain_unicode: domain,
    status: 'valid',
    reason: 'ok',
    depth: 'smtp',
    message: null,
    detail: null,
    suggestion: null,
    retry_after: null,
    flags: { disposable: false, role: false, free: false, smtputf8: false },
    error: null,
    dns: { mx: [{ preference: 10, exchange: `mx.${domain}` }], null_mx: false, implicit_mx: false, ttl: 300 },
    smtp: { mx: `mx.${domain}`, code: 250, enhanced: '2.1.5', reply: 'OK', catch_all: false, tls: true },
    cache: 'miss',
    ...fields,
  };
}

function json(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The fake API's verdict for one address (see fakeApi). */
function fakeCheck(email) {
  switch (email.toLowerCase()) {
    case 'disabled@example.com':
      return fakeVerdict(email, {
        status: 'invalid',
        reason: 'mailbox_disabled',
        message: 'The mail server says this mailbox has been disabled.',
        detail: 'mx.example.com answered 550 5.2.1',
        smtp: { mx: 'mx.example.com', code: 550, enhanced: '5.2.1', reply: 'The email account that you tried to reach is disabled', catch_all: false, tls: true },
      });
    case 'unknown@example.com':
      return fakeVerdict(email, {
        status: 'unknown',
        reason: 'smtp_unavailable',
        message: 'The mail server could not be reached to confirm this address.',
        smtp: null,
      });
    case 'nullmx@example.com':
      return fakeVerdict(email, {
        status: 'invalid',
        reason: 'null_mx',
        depth: 'dns',
        message: 'This domain says it accepts no email.',
        dns: { mx: [{ preference: 0, exchange: '.' }], null_mx: true, implicit_mx: false, ttl: 300 },
        smtp: null,
      });
    default:
      return fakeVerdict(email);
  }
}

/** The request's body, parsed as JSON (null when it is not JSON). */
function jsonBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on('data', (b) => parts.push(b));
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(parts).toString('utf8'))); } catch { resolve(null); }
    });
    req.on('error', () => resolve(null));
  });
}

/**
 * Fake edge API (keys: Bearer pk_...). `GET /v1/check?email=`:
 *   disabled@example.com  invalid / mailbox_disabled at depth smtp
 *   unknown@example.com   unknown / smtp_unavailable
 *   nullmx@example.com    invalid / null_mx at depth dns
 *   slow@example.com      answers valid after 3 s (for cancellation)
 *   hang@example.com      never answers (for the client's timeout)
 *   error@example.com     500 with an error body
 *   badjson@example.com   200 with a body that is not JSON
 *   notverdict@example.com 200 with JSON that is not a verdict
 *   anything else         valid / ok at depth smtp
 * `POST /v1/check` with `{"emails": [...]}` answers `{"results": [...]}`, the
 * same verdicts in input order (a batch with error@example.com: 500; with
 * slow@example.com: after 3 s).
 */
function fakeApi(req, res, url, requests) {
  const cors = {
    'access-control-allow-origin': req.headers.origin ?? '*',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-allow-methods': 'GET, POST',
    'access-control-max-age': '600',
    vary: 'origin',
  };
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors);
    res.end();
    return;
  }
  const email = url.searchParams.get('email') ?? '';
  const record = {
    method: req.method,
    path: url.pathname,
    email,
    query: Object.fromEntries(url.searchParams),
    authorization: req.headers.authorization ?? null,
    origin: req.headers.origin ?? null,
    answered: false,
    aborted: false,
  };
  requests.push(record);
  res.on('close', () => {
    if (!res.writableFinished) record.aborted = true;
  });
  const answer = (status, body, headers = {}) => {
    record.answered = true;
    if (typeof body === 'string') {
      res.writeHead(status, { 'content-type': 'application/json', ...cors, ...headers });
      res.end(body);
    } else {
      json(res, status, body, { ...cors, ...headers });
    }
  };
  if (url.pathname !== '/v1/check' || (req.method !== 'GET' && req.method !== 'POST')) {
    answer(404, { error: { code: 'not_found', message: 'no such route' } });
    return;
  }
  if (!/^Bearer pk_[A-Za-z0-9_]+$/.test(record.authorization ?? '')) {
    answer(401, { error: { code: 'unauthorized', message: 'a publishable key is required' } });
    return;
  }
  if (req.method === 'POST') {
    fakeBatch(req, res, record, answer);
    return;
  }
  switch (email.toLowerCase()) {
    case 'slow@example.com': {
      const t = setTimeout(() => answer(200, fakeVerdict(email)), 3000);
      res.on('close', () => clearTimeout(t));
      return;
    }
    case 'hang@example.com':
      return; // never answers; close() ends the connection
    case 'error@example.com':
      answer(500, { error: { code: 'internal', message: 'something broke' } });
      return;
    case 'badjson@example.com':
      answer(200, '{"status": "valid", oops');
      return;
    case 'notverdict@example.com':
      answer(200, { results: [] });
      return;
    default:
      answer(200, fakeCheck(email));
  }
}

/** Fake `POST /v1/check`: a batch of addresses. */
async function fakeBatch(req, res, record, answer) {
  const body = await jsonBody(req);
  const emails = body?.emails;
  record.emails = emails;
  record.options = body?.options ?? null;
  if (!Array.isArray(emails) || !emails.every((e) => typeof e === 'string')) {
    answer(400, { error: { code: 'bad_request', message: 'emails must be a list of strings' } });
    return;
  }
  const has = (address) => emails.some((e) => e.toLowerCase() === address);
  if (has('error@example.com')) {
    answer(500, { error: { code: 'internal', message: 'something broke' } });
    return;
  }
  const reply = () => answer(200, { results: emails.map(fakeCheck) });
  if (has('slow@example.com')) {
    const t = setTimeout(reply, 3000);
    res.on('close', () => clearTimeout(t));
  } else {
    reply();
  }
}

async function serveFile(req, res, url) {
  let rel;
  let dir;
  const pathname = decodeURIComponent(url.pathname);
  if (pathname === '/') {
    res.writeHead(302, { location: '/form.html' });
    res.end();
    return;
  }
  if (pathname === '/blank.html') {
    res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' });
    res.end(BLANK);
    return;
  }
  if (pathname.startsWith('/vendor/')) {
    const body = vendorFile(pathname.slice('/vendor/'.length));
    if (body === null) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(pathname).toLowerCase()] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (pathname.startsWith('/pkg/')) {
    dir = PKG_DIR;
    rel = pathname.slice('/pkg/'.length);
  } else {
    dir = WWW_DIR;
    rel = pathname.slice(1);
  }
  const file = path.resolve(dir, rel);
  if (file !== dir && !file.startsWith(dir + path.sep)) {
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('forbidden');
    return;
  }
  try {
    const info = await stat(file);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (e) {
    res.writeHead(e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 404 : 500, { 'content-type': 'text/plain' });
    res.end(e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 'not found' : 'error');
  }
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

function shut(server) {
  return new Promise((resolve) => {
    if (!server.listening) { resolve(); return; }
    server.close(() => resolve());
    server.closeAllConnections(); // keep-alive sockets and the hanging request
  });
}

/**
 * Starts the page server and the fake API on 127.0.0.1, ports picked by the
 * system. `apiPort` fixes the API's port (for trying the demo by hand).
 */
export async function startServer({ port = 0, apiPort = 0, fake = true } = {}) {
  const requests = [];
  const pages = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (fake && url.pathname.startsWith('/v1/')) fakeApi(req, res, url, requests); // same-origin use works too
    else serveFile(req, res, url).catch(() => { res.destroy(); });
  });
  // Without `fake` (the real local system: scripts/local.mjs) only the pages are served.
  const api = http.createServer((req, res) => {
    fakeApi(req, res, new URL(req.url, 'http://127.0.0.1'), requests);
  });
  try {
    const pagesPort = await listen(pages, port);
    const apiPortUsed = fake ? await listen(api, apiPort) : null;
    return {
      url: `http://127.0.0.1:${pagesPort}`,
      apiUrl: fake ? `http://127.0.0.1:${apiPortUsed}` : null,
      requests,
      close: () => Promise.all([shut(pages), shut(api)]).then(() => undefined),
    };
  } catch (e) {
    await Promise.all([shut(pages), shut(api)]);
    throw e;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 0);
  const s = await startServer({ port });
  console.log(`demo:     ${s.url}/form.html`);
  console.log(`list:     ${s.url}/list.html`);
  console.log(`fake API: ${s.apiUrl}  (key: any pk_..., try disabled@example.com)`);
  const stop = () => { s.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
