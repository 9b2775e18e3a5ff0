// Random operation sequences for the ledger differential test
// (./ledger-differential.test.mjs): the same bounces, imports and removals,
// applied to the CLI's SQLite store and to the edge's D1, must leave the
// same suppression records (docs/DESIGN.md "Bounces and the suppression
// ledger").
//
// Everything here is pure: a seeded PRNG, the generator, and the text each
// side is given. Addresses and SNS MessageIds carry a tag placeholder
// (`{T}`), filled in when a sequence is run, so that one edge store can run
// many sequences (and the shrinker's replays) side by side without their
// keys or messages meeting.
import { createHash } from 'node:crypto';
import { domainToASCII } from 'node:url';

export const TAG = '{T}';

// ------------------------------------------------------------------ PRNG

/** A 32-bit seed from any text or number (the master seed, a sequence number). */
export function seedOf(...parts) {
  return createHash('sha256').update(parts.join('/')).digest().readUInt32LE(0);
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; answers floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
    weighted: (pairs) => {
      const total = pairs.reduce((s, [w]) => s + w, 0);
      let x = next() * total;
      for (const [w, v] of pairs) {
        if ((x -= w) < 0) return v;
      }
      return pairs.at(-1)[1];
    },
    hex: (n) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join(''),
  };
  return rng;
}

// ---------------------------------------------------------------- addresses

/**
 * The pool: four mailboxes whose spellings collide on one key each
 * (core's `suppression::key`: local part NFC + lower-case, domain in
 * lower-case ASCII). The tag goes after the local part and is digits only,
 * so no spelling changes it.
 */
const POOL = [
  // plain ASCII
  { local: ['alice'], domain: () => ['example.com'] },
  // dots and a plus tag
  { local: ['bob.smith+news'], domain: () => ['example.org'] },
  // NFC: ü precomposed or u + U+0308; an IDN domain as Unicode or punycode
  { local: ['j\u00fcrgen', 'ju\u0308rgen'], domain: () => ['b\u00fccher.de', 'xn--bcher-kva.de'] },
  // a domain literal: a server can bounce one, so it has a key
  { local: ['pm'], domain: () => ['[192.0.2.1]'] },
];

/** How often each pool address is picked: skewed, so one address sees many events. */
const POOL_WEIGHTS = [[5, 0], [3, 1], [2, 2], [1, 3]];

function randomCase(rng, s) {
  return [...s].map((c) => (rng.chance(0.35) ? c.toUpperCase() : c)).join('');
}

/** A random spelling of pool address `i` (with the tag placeholder). */
export function spelling(rng, i) {
  const p = POOL[i];
  const local = randomCase(rng, rng.pick(p.local));
  const domain = randomCase(rng, rng.pick(p.domain()));
  return `${local}.${TAG}@${domain}`;
}

/** The key of pool address `i` under `tag` (what both stores must use). */
export function poolKey(i, tag) {
  const p = POOL[i];
  const domain = p.domain().at(-1).toLowerCase();
  return `${p.local[0].normalize('NFC').toLowerCase()}.${tag}@${domain}`;
}

export const POOL_SIZE = POOL.length;

/**
 * A spelling's key, for the test's coverage counts only (what the stores
 * use is core's `suppression::key`, never this).
 */
export function keyOf(spelt) {
  const at = spelt.lastIndexOf('@');
  const local = spelt.slice(0, at).normalize('NFC').toLowerCase().normalize('NFC');
  const domain = spelt.slice(at + 1).toLowerCase();
  return `${local}@${domain.startsWith('[') ? domain : domainToASCII(domain)}`;
}

/** Whether a stored key belongs to the run tagged `tag` (keys are `local.TAG@domain`). */
export const taggedWith = (address, tag) => address.includes(`.${tag}@`);

// ------------------------------------------------------------ what bounces

/**
 * SES notifications and what core makes of them (checked by the CLI in the
 * test's coverage step). Every reason class of the ledger is here: the
 * suppress-at-once ones, the three repeat ones, `blocked` (never), the
 * undetermined kind (kept, never counted), and complaints.
 */
export const BOUNCES = [
  { label: 'does_not_exist (5.1.1)', bounceType: 'Permanent', subType: 'General', diagnostic: 'smtp; 550 5.1.1 <rcpt>: Recipient address rejected: User unknown' },
  { label: 'does_not_exist (NoEmail)', bounceType: 'Permanent', subType: 'NoEmail', diagnostic: null },
  { label: 'does_not_exist (Suppressed)', bounceType: 'Permanent', subType: 'Suppressed', diagnostic: null },
  { label: 'mailbox_disabled', bounceType: 'Permanent', subType: 'General', diagnostic: 'smtp; 550 5.2.1 The email account that you tried to reach is disabled' },
  { label: 'no_mail_server', bounceType: 'Permanent', subType: 'General', diagnostic: 'smtp; 554 5.4.4 Unable to route' },
  { label: 'rejected (hard)', bounceType: 'Permanent', subType: 'General', diagnostic: null },
  { label: 'mailbox_full (552)', bounceType: 'Transient', subType: 'MailboxFull', diagnostic: 'smtp; 552 5.2.2 Mailbox full', soft: true },
  { label: 'mailbox_full (subtype)', bounceType: 'Transient', subType: 'MailboxFull', diagnostic: null, soft: true },
  { label: 'mailbox_full (over quota)', bounceType: 'Transient', subType: 'General', diagnostic: 'smtp; 452 4.2.2 The email account that you tried to reach is over quota', soft: true },
  { label: 'temporary_failure (greylisted)', bounceType: 'Transient', subType: 'General', diagnostic: 'smtp; 451 4.7.1 Greylisted, please try again later', soft: true },
  { label: 'temporary_failure (timeout)', bounceType: 'Transient', subType: 'General', diagnostic: 'smtp; 421 4.4.2 Connection timed out', soft: true },
  { label: 'temporary_failure (general)', bounceType: 'Transient', subType: 'General', diagnostic: null, soft: true },
  { label: 'rejected (too large)', bounceType: 'Transient', subType: 'MessageTooLarge', diagnostic: null, soft: true },
  { label: 'blocked (blocklist)', bounceType: 'Transient', subType: 'General', diagnostic: 'smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', soft: true },
  { label: 'blocked (spam)', bounceType: 'Permanent', subType: 'General', diagnostic: 'smtp; 550 5.7.1 Our system has detected that this message is likely unsolicited mail' },
  { label: 'undetermined', bounceType: 'Undetermined', subType: 'Undetermined', diagnostic: null },
  { label: 'undetermined (text)', bounceType: 'Undetermined', subType: 'Undetermined', diagnostic: 'Unknown error' },
  { label: 'complaint (abuse)', complaint: 'abuse' },
  { label: 'complaint (no type)', complaint: null },
  { label: 'complaint (not-spam)', complaint: 'not-spam' }, // not a complaint: nothing recorded
];

const SOFT = BOUNCES.filter((b) => b.soft);

/** Reasons a stored record may carry (core's `suppression::storable`). */
export const STORABLE = [
  'does_not_exist', 'mailbox_disabled', 'no_such_domain', 'null_mx', 'no_mail_server', 'complained',
  'mailbox_full', 'temporary_failure', 'rejected', 'suppressed',
];

/**
 * Sources of imported / PUT records. `ses` is the edge's own source, and
 * the CLI's too in this test (its bounce files are named `ses`), so ties
 * on reason and last_seen break on the very same text at both ends.
 */
const SOURCES = ['crm', 'import', 'ses', 'zendesk', 'manual list', 'a'];

// ------------------------------------------------------------------- times

const SEC = 1000;
const DAY = 86_400 * SEC;

/** The store form of a time (whole seconds, UTC): `2026-03-14T09:26:53Z`. */
export const storeTime = (ms) => `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;

// --------------------------------------------------------------- generator

/**
 * One sequence of `length` operations (a burst of soft bounces may go a
 * little over), all times in the past of `now` (ms):
 *
 *  - `bounce`: an SES notification (1–3 recipients, spellings colliding,
 *    now and then one that is not an address) at `at` (ms; the SNS
 *    Timestamp and the SES timestamp alike).
 *  - a redelivery: an earlier `bounce` again, the same MessageId.
 *  - a soft burst: 2–4 repeat-reason bounces for one address, at times
 *    drawn in any order (so a later-arriving older bounce sees the window
 *    end at its own time).
 *  - `put`: 1–3 valid records (import at the CLI, PUT at the edge).
 *  - `remove`: one address (remove at the CLI, DELETE at the edge).
 *
 * Bounce times stay within `maxAgeMs` (the edge refuses SNS messages older
 * than SNS_MAX_AGE_SECS) and at least a minute in the past: the CLI
 * clamps a later time to its own clock, while the edge takes the SNS
 * Timestamp as it is (up to 300 s ahead), so a future time would differ
 * by the two clocks, not by the ledger. Times are drawn from a
 * few shared instants with random milliseconds, so that records tie on the
 * second and merges break ties on reason and source.
 */
export function generate(seed, { length = 15, now = Date.now(), maxAgeMs = 6.5 * DAY } = {}) {
  const rng = prng(seed);
  const oldest = now - maxAgeMs;
  const newest = now - 60 * SEC;
  const freshTime = () => oldest + Math.floor(rng.next() * (newest - oldest));
  const instants = Array.from({ length: rng.int(3, 6) }, () => Math.floor(freshTime() / 1000) * 1000);
  const bounceTime = () => (rng.chance(0.7) ? rng.pick(instants) + rng.int(0, 999) : freshTime());
  const recordTime = () => rng.weighted([
    [6, () => rng.pick(instants)],
    [2, () => Math.floor(freshTime() / 1000) * 1000],
    [1, () => now - rng.int(31, 800) * DAY], // long ago: records have no window
  ])();
  const address = (i = rng.weighted(POOL_WEIGHTS)) => spelling(rng, i);
  let messages = 0;
  const bounce = (kind, recipients) => ({
    type: 'bounce',
    kind,
    recipients,
    at: bounceTime(),
    messageId: `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.hex(4)}-${TAG}${String(++messages).padStart(4, '0')}`,
  });

  const ops = [];
  while (ops.length < length) {
    const what = rng.weighted([[44, 'bounce'], [8, 'again'], [10, 'burst'], [24, 'put'], [10, 'remove']]);
    if (what === 'bounce') {
      const n = rng.weighted([[6, 1], [3, 2], [1, 3]]);
      const picks = Array.from({ length: n }, () => rng.weighted(POOL_WEIGHTS));
      // Several recipients of one message often share one mailbox.
      if (n > 1 && rng.chance(0.3)) picks[1] = picks[0];
      const recipients = picks.map((i) => (rng.chance(0.04) ? 'not an address' : address(i)));
      ops.push(bounce(rng.pick(BOUNCES), recipients));
    } else if (what === 'again') {
      const earlier = ops.filter((o) => o.type === 'bounce');
      if (!earlier.length) continue;
      ops.push({ ...rng.pick(earlier), redelivery: true });
    } else if (what === 'burst') {
      const i = rng.weighted(POOL_WEIGHTS);
      for (let k = rng.int(2, 4); k > 0; k--) ops.push(bounce(rng.pick(SOFT), [address(i)]));
    } else if (what === 'put') {
      const records = Array.from({ length: rng.weighted([[6, 1], [3, 2], [1, 3]]) }, () => {
        const a = recordTime();
        const b = rng.chance(0.3) ? a : recordTime();
        return {
          address: address(),
          reason: rng.pick(STORABLE),
          first_seen: storeTime(Math.min(a, b)),
          last_seen: storeTime(Math.max(a, b)),
          count: rng.weighted([[6, 1], [3, rng.int(2, 4)], [1, rng.int(5, 40)]]),
          source: rng.pick(SOURCES),
        };
      });
      ops.push({ type: 'put', records });
    } else {
      ops.push({ type: 'remove', address: address() });
    }
  }
  return ops;
}

// ---------------------------------------------------------------- rendering

const fill = (text, tag) => text.split(TAG).join(tag);

/** The SES notification (JSON text) of a `bounce` op under `tag`. */
export function sesMessage(op, tag) {
  const iso = new Date(op.at).toISOString();
  const recipients = op.recipients.map((r) => fill(r, tag));
  const messageId = fill(op.messageId, tag);
  const mail = { messageId: `ses-${messageId}`, timestamp: iso, source: 'news@example.com', destination: recipients };
  if (op.kind.complaint !== undefined) {
    return JSON.stringify({
      notificationType: 'Complaint',
      complaint: {
        complainedRecipients: recipients.map((emailAddress) => ({ emailAddress })),
        ...(op.kind.complaint ? { complaintFeedbackType: op.kind.complaint } : {}),
        timestamp: iso,
        arrivalDate: iso,
        feedbackId: `feedback-${messageId}`,
      },
      mail,
    });
  }
  return JSON.stringify({
    notificationType: 'Bounce',
    bounce: {
      bounceType: op.kind.bounceType,
      bounceSubType: op.kind.subType,
      bouncedRecipients: recipients.map((emailAddress) => ({
        emailAddress, action: 'failed', ...(op.kind.diagnostic ? { diagnosticCode: op.kind.diagnostic } : {}),
      })),
      timestamp: iso,
      feedbackId: `feedback-${messageId}`,
      reportingMTA: 'dsn; a1-23.smtp-out.amazonses.com',
    },
    mail,
  });
}

/** The records of a `put` op under `tag`. */
export const putRecords = (op, tag) => op.records.map((r) => ({ ...r, address: fill(r.address, tag) }));

/** The address of a `remove` op under `tag`. */
export const removeAddress = (op, tag) => fill(op.address, tag);

/** The SNS MessageId of a `bounce` op under `tag`. */
export const messageIdOf = (op, tag) => fill(op.messageId, tag);

/** One readable line per op, for a failure's report. */
export function describe(op, tag = TAG) {
  switch (op.type) {
    case 'bounce':
      return `${op.redelivery ? 'redeliver' : 'bounce'} ${op.kind.label} to ${JSON.stringify(op.recipients.map((r) => fill(r, tag)))} `
        + `at ${new Date(op.at).toISOString()} (SNS MessageId ${messageIdOf(op, tag)})`;
    case 'put':
      return `import/PUT ${JSON.stringify(putRecords(op, tag))}`;
    case 'remove':
      return `remove ${JSON.stringify(removeAddress(op, tag))}`;
    default:
      return JSON.stringify(op);
  }
}
