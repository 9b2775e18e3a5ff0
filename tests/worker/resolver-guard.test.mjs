// The edge's resolver guard (issue 14, "A lying resolver must not empty a
// list"): the worker in local workerd (Miniflare), its DOH_URL a real
// unbound behind dnsdist's DoH front (tests/peers/unbound.sh).
//
// - With the test zones, `test.` and `example.` are static zones that answer
//   NODATA for their NS: an NXDOMAIN under them stays no_such_domain.
// - With LIAR=1 unbound answers NXDOMAIN for every name, `com.` included:
//   someone@gmail.com is unknown / dns_error, the detail naming the resolver
//   (as DOH_URL, not its address); the NS query for `com.` is sent once for
//   the request's domains and then cached (counted in unbound's query log),
//   and it counts in SUBREQUEST_BUDGET.
//
//   bash worker/build.sh && node --test tests/worker/resolver-guard.test.mjs
//
// Needs unbound and dnsdist (scripts/setup.sh), not Postfix nor root;
// without them the file skips loudly, unless CI is set (then it fails).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as h from './harness.mjs';

const missing = ['unbound', 'dnsdist'].filter(
  (b) => !(process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin']).some((d) => d && existsSync(path.join(d, b))),
);
const skip = missing.length && !process.env.CI ? `${missing.join(', ')} not installed (scripts/setup.sh)` : false;
if (skip) process.stderr.write(`\n== SKIPPED resolver-guard tests: ${skip} (under CI=true this fails)\n\n`);

/** Queries unbound logged for `name TYPE` (LIAR=1 logs every query). */
const queries = (dns, q) => dns.log().split('\n').filter((l) => l.endsWith(` ${q} IN`)).length;

describe('the test zones still give no_such_domain', { skip, timeout: 60_000 }, () => {
  let dns;
  let worker;
  before(async () => {
    dns = await h.startDns({ doh: true });
    worker = await h.startWorker(h.bindingsFor({ dns }));
  });
  after(async () => {
    await worker?.dispose();
    await dns?.stop();
  });

  test('test. and example. answer NODATA for their NS (static zones)', async () => {
    for (const tld of ['test', 'example']) {
      const res = await fetch(`${dns.dohUrl}?dns=${h.dnsQuery(tld, 2)}`);
      const msg = Buffer.from(await res.arrayBuffer());
      assert.equal(msg[3] & 0x0f, 0, `${tld}. NS: NOERROR`);
      assert.equal(msg.readUInt16BE(6), 0, `${tld}. NS: no answer records`);
    }
  });

  test('x@nxdomain.test and x@nxdomain.example → invalid / no_such_domain', async () => {
    const r = await worker.check(['x@nxdomain.test', 'x@nxdomain.example']);
    assert.equal(r.status, 200, r.text);
    for (const email of ['x@nxdomain.test', 'x@nxdomain.example']) {
      const v = h.verdictOf(r, email);
      assert.deepEqual([v.status, v.reason], ['invalid', 'no_such_domain'], JSON.stringify(v));
    }
  });
});

describe('a DoH resolver that answers NXDOMAIN for everything', { skip, timeout: 60_000 }, () => {
  let dns;
  before(async () => {
    dns = await h.startDns({ doh: true, env: { LIAR: '1' } });
  });
  after(async () => {
    await dns?.stop();
  });

  test('dnsdist passes the lie through: com. NS is NXDOMAIN', async () => {
    const res = await fetch(`${dns.dohUrl}?dns=${h.dnsQuery('com', 2)}`);
    const msg = Buffer.from(await res.arrayBuffer());
    assert.equal(msg[3] & 0x0f, 3, 'RCODE NXDOMAIN');
  });

  test('someone@gmail.com → unknown / dns_error naming the resolver; com. asked once, then cached', async () => {
    const worker = await h.startWorker(h.bindingsFor({ dns }));
    try {
      const before = queries(dns, 'com. NS');
      const emails = ['someone@gmail.com', 'other@yahoo.com'];
      const r = await worker.check(emails, { options: {} });
      assert.equal(r.status, 200, r.text);
      for (const email of emails) {
        const v = h.verdictOf(r, email);
        assert.deepEqual([v.status, v.reason, v.depth], ['unknown', 'dns_error', 'dns'], JSON.stringify(v));
        assert.match(v.detail, /^the edge's DoH resolver \(DOH_URL\) answered NXDOMAIN for the top-level domain com itself/);
        assert.ok(!/127\.0\.0\.1|dns-query/.test(v.detail), `the resolver's URL stays private: ${v.detail}`);
      }
      assert.equal(queries(dns, 'com. NS') - before, 1, 'one NS query for the two .com domains');
      // Another request: the TLD's answer comes from the cache.
      const again = await worker.check(['third@hotmail.com'], { options: {} });
      assert.equal(h.verdictOf(again, 'third@hotmail.com').reason, 'dns_error');
      assert.equal(queries(dns, 'com. NS') - before, 1, 'no new NS query: cached');
      assert.equal(queries(dns, 'hotmail.com. MX'), 1);
    } finally {
      await worker.dispose();
    }
  });

  test('the NS query counts in SUBREQUEST_BUDGET', async () => {
    // No probe: the MX query takes the one subrequest, the NS query does not fit.
    const tight = await h.startWorker({ ...h.bindingsFor({ dns }), SUBREQUEST_BUDGET: '1' });
    try {
      const before = queries(dns, 'com. NS');
      const r = await tight.check(['someone@aol.com'], { options: {} });
      const v = h.verdictOf(r, 'someone@aol.com');
      assert.equal(v.depth, 'syntax', JSON.stringify(v));
      assert.match(v.detail, /SUBREQUEST_BUDGET/);
      assert.equal(queries(dns, 'aol.com. MX'), 1);
      assert.equal(queries(dns, 'com. NS') - before, 0);
    } finally {
      await tight.dispose();
    }
    const enough = await h.startWorker({ ...h.bindingsFor({ dns }), SUBREQUEST_BUDGET: '2' });
    try {
      const before = queries(dns, 'com. NS');
      const r = await enough.check(['someone@aol.com'], { options: {} });
      assert.equal(h.verdictOf(r, 'someone@aol.com').reason, 'dns_error');
      assert.equal(queries(dns, 'com. NS') - before, 1);
    } finally {
      await enough.dispose();
    }
  });
});
