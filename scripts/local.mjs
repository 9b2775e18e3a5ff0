// The whole local system, for the README's main command (scripts/start.sh):
//
//   - the pages under www/ (and the npm package at /pkg/, Papa Parse at
//     /vendor/) on 127.0.0.1;
//   - the edge API: the built worker (worker/build/) in local workerd through
//     Miniflare, with a secret and a publishable key made up for this run
//     (the publishable one valid from the pages' origin);
//   - when this machine can run them (root, Debian's unbound, dnsdist and
//     Postfix: scripts/setup.sh installs them): a local mail world — unbound
//     with the test zones behind a dnsdist DoH front, Postfix with the test
//     mailboxes — and the probe backend (`prebounce serve`) wired to it, so
//     the edge answers at depth smtp. Otherwise the edge uses the public DoH
//     resolver and stops at depth dns.
//
// Every process is started on a free port and stopped by pid on Ctrl-C.
// Needs: worker/build.sh and a debug `prebounce` (scripts/start.sh does both).
import { randomBytes } from 'node:crypto';

import { startServer } from '../tests/browser/server.mjs';
import {
  peersUnavailable, startDns, startPostfix, startServe, startWorker,
} from '../tests/worker/harness.mjs';

const parts = [];
async function stopAll() {
  for (const p of parts.reverse()) {
    try { await (p.dispose ?? p.stop ?? p.close).call(p); } catch { /* best effort */ }
  }
}

try {
  const pages = await startServer({ port: Number(process.env.PORT ?? 0), fake: false });
  parts.push(pages);
  const sk = `sk_local_${randomBytes(12).toString('hex')}`;
  const pk = `pk_local_${randomBytes(12).toString('hex')}`;
  const origins = [pages.url, pages.url.replace('127.0.0.1', 'localhost')];
  const bindings = {
    API_KEYS: JSON.stringify({
      [sk]: { rate_per_minute: 600 },
      [pk]: { origins, rate_per_minute: 120 },
    }),
  };
  const why = peersUnavailable();
  if (!why) {
    const dns = await startDns({ doh: true });
    parts.push(dns);
    const postfix = await startPostfix();
    parts.push(postfix);
    const secret = randomBytes(32).toString('hex');
    const serve = await startServe({ dnsPort: dns.dnsPort, smtpPort: postfix.smtpPort, secret });
    parts.push(serve);
    Object.assign(bindings, { DOH_URL: dns.dohUrl, PROBE_URL: serve.probeUrl, PROBE_SECRET: secret });
    console.log(`probe:    ${serve.url}  (prebounce serve; local Postfix on 127.0.0.1:${postfix.smtpPort}, DNS 127.0.0.1:${dns.dnsPort})`);
  }
  const worker = await startWorker(bindings);
  parts.push(worker);
  const api = String(worker.url).replace(/\/$/, '');
  console.log(`pages:    ${pages.url}/form.html`);
  console.log(`list:     ${pages.url}/list.html`);
  console.log(`edge API: ${api}   (GET or POST ${api}/v1/check; ${api}/openapi.json)`);
  console.log(`keys:     secret ${sk}`);
  console.log(`          publishable ${pk} (from ${origins.join(' or ')})`);
  if (why) {
    console.log(`note:     no local mail world (${why}): the edge asks the public DoH resolver and stops at depth dns.`);
  } else {
    console.log('try:      in the form demo, enter the edge API URL above and the publishable key, then');
    console.log('          disabled@alpha.example; or from a shell:');
    console.log(`          curl -s -H 'Authorization: Bearer ${sk}' '${api}/v1/check?email=disabled@alpha.example'`);
    console.log('          (alpha.example: ok@ valid, disabled@ mailbox_disabled, full@ mailbox_full, anyone else');
    console.log('           does_not_exist; catchall.example catch_all; grey.example temporary_failure;');
    console.log('           nullmx.example null_mx; nothing.example no_such_domain. The same under .test');
    console.log('           with allow_special_use=true.)');
  }
  console.log('Ctrl-C stops everything.');
} catch (e) {
  console.error(`scripts/local.mjs: ${e.message}`);
  await stopAll();
  process.exit(1);
}

// Ctrl-C or SIGTERM: stop every part in order, then exit 0. (This replaces
// the harness's own last-resort handlers, which kill and exit at once; its
// exit hook still runs after ours.)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.removeAllListeners(signal);
  process.once(signal, () => { stopAll().then(() => process.exit(0)); });
}
