// The edge and the CLI decide alike: every input of the equivalence table
// (tests/data/equivalence.tsv plus the core's syntax table) through the built
// worker in local workerd, against `prebounce check --offline --json`.
//
// The worker's DoH resolver is a closed port, so whatever DNS would settle
// ends in `dns_error` at once: an address the CLI calls invalid must come back
// identical; a risky one keeps its reason (dns_error ranks below it); a valid
// one becomes dns_error. The syntax-level fields must match everywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import { cliVerdictGroups } from '../npm/helpers.mjs';

const SAME = ['input', 'address', 'address_unicode', 'local', 'domain', 'domain_unicode', 'suggestion', 'flags', 'error'];
let worker = null;

before(async () => {
  worker = await h.startWorker({
    API_KEYS: h.API_KEYS,
    DOH_URL: `http://127.0.0.1:${await h.deadPort()}/dns-query`,
    VERDICT_CACHE_TTL: '0',
  });
});
after(async () => { await worker?.dispose(); });

test('edge verdicts equal the CLI\'s wherever DNS could not change them', async () => {
  const groups = cliVerdictGroups();
  const cases = groups.reduce((n, g) => n + g.inputs.length, 0);
  assert.ok(cases >= 400, `${cases} cases`);
  let compared = 0;
  for (const { key, options, inputs, expected } of groups) {
    assert.equal(expected.length, inputs.length, key);
    for (let at = 0; at < inputs.length; at += 100) {
      const r = await worker.check(inputs.slice(at, at + 100), { options });
      assert.equal(r.status, 200, r.text);
      r.json.results.forEach((got, i) => {
        const want = expected[at + i];
        const what = `${key} ${JSON.stringify(want.input)}`;
        const { cache, ...verdict } = got;
        assert.equal(cache, 'miss', what);
        if (want.status === 'invalid') {
          assert.deepEqual(verdict, want, what);
        } else {
          for (const f of SAME) assert.deepEqual(verdict[f], want[f], `${what}: ${f}`);
          assert.equal(verdict.depth, 'dns', what);
          assert.equal(verdict.reason, want.status === 'risky' ? want.reason : 'dns_error', what);
        }
        compared++;
      });
    }
  }
  assert.equal(compared, cases);
});
