//! The fuzz harnesses, shared by the `fuzz_targets/` binaries (one thin
//! `fuzz_target!` each) so they can also be called from anywhere else.
//!
//! Each harness feeds bytes to one part of `prebounce-core` and asserts the
//! same invariants as `crates/core/tests/props.rs`: a panic is a finding.

use std::borrow::Cow;

use prebounce_core::disposable::{Disposable, DisposableFilter};
use prebounce_core::hash::domain_hash;
use prebounce_core::mx::{self, AddressAnswer, MxAnswer, MxDecision};
use prebounce_core::reply::{ReplyParser, MAX_RETRY_AFTER_SECS};
use prebounce_core::{
    address, check, classify, Checker, MxRecord, Options, Reason, Reply, Stage, Status, Verdict,
};

const STAGES: [Stage; 6] = [
    Stage::Banner,
    Stage::Ehlo,
    Stage::MailFrom,
    Stage::RcptTo,
    Stage::Rset,
    Stage::Other,
];

/// The options for the low six bits of a byte: all 64 combinations.
pub fn options_from_byte(b: u8) -> Options {
    Options {
        allow_quoted_local: b & 1 != 0,
        allow_domain_literal: b & 2 != 0,
        allow_smtputf8: b & 4 != 0,
        allow_single_label: b & 8 != 0,
        allow_special_use: b & 16 != 0,
        role_is_risky: b & 32 != 0,
    }
}

// ---------------------------------------------------------------------------
// verdict
// ---------------------------------------------------------------------------

/// First byte: the options; the rest: the address (UTF-8, else lossy).
pub fn verdict(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let options = options_from_byte(first);
    let text: Cow<'_, str> = String::from_utf8_lossy(rest);
    check_verdict(&text, &options, true);
}

fn check_verdict(input: &str, o: &Options, recheck: bool) -> Verdict {
    let checker = Checker::new(*o);
    let v = checker.verdict(input);
    let a = checker.assess(input);
    assert_eq!(
        (a.reason, a.flags, a.error),
        (v.reason, v.flags, v.error.as_ref().map(|e| e.code)),
        "assess and verdict disagree on {input:?}"
    );
    assert_eq!(v.status, v.reason.status());
    assert_eq!(v.message.is_some(), v.status != Status::Valid, "{input:?}");
    assert_eq!(
        v.error.is_some(),
        v.reason == Reason::InvalidSyntax,
        "{input:?}"
    );
    if let Some(e) = &v.error {
        assert_eq!(v.message.as_deref(), Some(e.message.as_str()));
    }
    assert_eq!(
        address::parse(input, o).is_ok(),
        v.reason != Reason::InvalidSyntax,
        "{input:?}"
    );
    if let (Some(address), Some(local), Some(domain)) = (&v.address, &v.local, &v.domain) {
        assert!(
            local.len() <= 64 && address.len() <= 254 && domain.len() <= 253,
            "{input:?}"
        );
        assert!(domain.is_ascii(), "{input:?}");
        assert_eq!(v.flags.smtputf8, !local.is_ascii(), "{input:?}");
        if recheck {
            for again in [address.as_str(), v.address_unicode.as_deref().unwrap()] {
                let w = check_verdict(again, o, false);
                assert_eq!(w.address.as_ref(), Some(address), "{input:?} -> {again:?}");
                assert_eq!(
                    (w.reason, w.flags),
                    (v.reason, v.flags),
                    "{input:?} -> {again:?}"
                );
            }
        }
    } else {
        assert!(v.address.is_none() && v.local.is_none() && v.domain.is_none());
    }
    if let Some(s) = &v.suggestion {
        assert_ne!(
            check(s, o).reason,
            Reason::InvalidSyntax,
            "suggestion {s:?} for {input:?}"
        );
    }
    let json = serde_json::to_string(&v).expect("a verdict serializes");
    let back: Verdict = serde_json::from_str(&json).expect("a verdict deserializes");
    assert_eq!(back, v, "JSON round trip of {input:?}");
    v
}

// ---------------------------------------------------------------------------
// reply
// ---------------------------------------------------------------------------

fn check_reply(r: &Reply) {
    assert!((100..600).contains(&r.code));
    assert!(!r.lines.is_empty());
    for stage in STAGES {
        let c = classify(stage, r);
        assert_eq!(
            c.retry_after.is_some(),
            c.reason == Reason::TemporaryFailure,
            "{stage:?} {r:?}"
        );
        if let Some(s) = c.retry_after {
            assert!((1..=MAX_RETRY_AFTER_SECS).contains(&s));
        }
        if stage != Stage::RcptTo {
            assert!(
                !matches!(
                    c.reason,
                    Reason::DoesNotExist | Reason::MailboxDisabled | Reason::MailboxFull
                ),
                "{stage:?} {r:?} -> {c:?}"
            );
        }
        if r.code / 100 == 4 {
            assert_ne!(c.reason.status(), Status::Invalid, "{stage:?} {r:?}");
        }
        if r.code / 100 == 2 {
            assert_eq!(c.reason, Reason::Ok);
        }
    }
}

/// First byte: how lines are handed to the line parser (with or without
/// their line ends); all bytes: one reply for `Reply::parse`.
pub fn reply(data: &[u8]) {
    if let Ok(r) = Reply::parse(data) {
        check_reply(&r);
        let _ = r.text();
    }
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut parser = ReplyParser::new();
    let lines: Vec<&[u8]> = if mode & 1 == 0 {
        rest.split_inclusive(|&b| b == b'\n').collect()
    } else {
        rest.split(|&b| b == b'\n').collect()
    };
    for line in lines {
        match parser.push_line(line) {
            Ok(Some(r)) => {
                check_reply(&r);
                assert!(!parser.in_progress());
            }
            Ok(None) => assert!(parser.in_progress()),
            Err(_) => assert!(!parser.in_progress()),
        }
    }
}

// ---------------------------------------------------------------------------
// disposable_filter
// ---------------------------------------------------------------------------

/// First byte: bit 0 set means "the rest is a file body: append its correct
/// checksum", so mutated headers reach the descriptor checks.
pub fn disposable_filter(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes: Cow<'_, [u8]> = if mode & 1 == 1 {
        let mut b = rest.to_vec();
        let sum = xxhash_rust::xxh3::xxh3_64(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        Cow::Owned(b)
    } else {
        Cow::Borrowed(rest)
    };
    let Ok(filter) = DisposableFilter::from_bytes(&bytes) else {
        return;
    };
    let _ = filter.domain_count();
    for chunk in rest.chunks(8).take(64) {
        let mut k = [0u8; 8];
        k[..chunk.len()].copy_from_slice(chunk);
        let _ = filter.contains_hash(u64::from_le_bytes(k));
    }
    for d in [
        "mailinator.com",
        "example.com",
        "a.b.c.example.org",
        "com",
        "",
    ] {
        let _ = filter.contains_hash(domain_hash(d));
    }
    let again = filter.to_bytes();
    let back = DisposableFilter::from_bytes(&again).expect("a filter's own bytes load");
    assert_eq!(back.to_bytes(), again);
    let mut lookup = Disposable::new();
    lookup.set_full(filter);
    for d in ["x.mailinator.com", "example.com", "a.b.c.d.e"] {
        let _ = lookup.lookup(d);
    }
}

// ---------------------------------------------------------------------------
// mx_plan
// ---------------------------------------------------------------------------

/// Layout: 8 bytes seed, 1 byte answer kind, 1 byte address-answer kind,
/// then `\n`-separated chunks: the domain, then one record per chunk (2 bytes
/// preference, little-endian, then the exchange as lossy text).
pub fn mx_plan(data: &[u8]) {
    if data.len() < 10 {
        return;
    }
    let seed = u64::from_le_bytes(data[..8].try_into().unwrap());
    let (kind, then) = (data[8], data[9]);
    let mut chunks = data[10..].split(|&b| b == b'\n');
    let domain = String::from_utf8_lossy(chunks.next().unwrap_or_default()).into_owned();
    let records: Vec<MxRecord> = chunks
        .map(|c| {
            let preference = u16::from_le_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ]);
            let exchange = String::from_utf8_lossy(c.get(2..).unwrap_or_default()).into_owned();
            MxRecord {
                preference,
                exchange,
            }
        })
        .collect();
    let ttl = (kind & 0x10 != 0).then_some(u32::from(seed as u16));
    let answer = match kind % 4 {
        0 => MxAnswer::Records {
            records: records.clone(),
            ttl,
        },
        1 => MxAnswer::NoRecords { ttl },
        2 => MxAnswer::NxDomain { ttl },
        _ => MxAnswer::Failed(domain.clone()),
    };
    let decision = mx::plan(&domain, answer.clone(), seed);
    assert_eq!(
        decision,
        mx::plan(&domain, answer, seed),
        "not deterministic"
    );
    match &decision {
        MxDecision::Plan(p) => {
            assert!(!p.hosts.is_empty());
            assert!(p
                .hosts
                .windows(2)
                .all(|w| w[0].preference <= w[1].preference));
            let mut names: Vec<&str> = p.hosts.iter().map(|h| h.exchange.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), p.hosts.len(), "a host twice: {p:?}");
            for h in &p.hosts {
                assert!(!h.exchange.is_empty() && !h.exchange.ends_with('.'));
                assert!(h.exchange.parse::<std::net::IpAddr>().is_err());
            }
            let _ = p.dns_info();
        }
        MxDecision::Fail(f) => assert!(matches!(
            f.reason,
            Reason::NullMx | Reason::NoMailServer | Reason::NoSuchDomain | Reason::DnsError
        )),
        MxDecision::NeedAddressLookup(l) => {
            let addresses = match then % 4 {
                0 => AddressAnswer::Found { ttl },
                1 => AddressAnswer::NoRecords { ttl },
                2 => AddressAnswer::NxDomain { ttl },
                _ => AddressAnswer::Failed(domain.clone()),
            };
            let _ = l.domain();
            let _ = l.clone().finish(addresses.clone());
            let _ = mx::plan_implicit(&domain, addresses);
        }
    }
    // The record order a resolver returned never matters (DESIGN).
    if kind % 4 == 0 && records.len() > 1 {
        let mut reversed = records;
        reversed.reverse();
        let other = mx::plan(
            &domain,
            MxAnswer::Records {
                records: reversed,
                ttl,
            },
            seed,
        );
        assert_eq!(decision, other, "record order changed the plan");
    }
    let _ = mx::domain_seed(&domain);
}

// ---------------------------------------------------------------------------
// bounce
// ---------------------------------------------------------------------------

/// `bounce::parse` on any bytes: never panics; every record has a recipient,
/// a status that parses as an RFC 3463 code when present, and a kind that
/// fits its reason; a report without records explains itself (a notice or
/// an error); and the report serializes to JSON.
pub fn bounce(data: &[u8]) {
    use prebounce_core::bounce::{self, Format, Kind};
    use prebounce_core::reply::EnhancedCode;
    use prebounce_core::suppression::BounceReason;

    let report = bounce::parse(data);
    for r in &report.records {
        assert!(!r.recipient.is_empty());
        if let Some(s) = &r.status {
            assert!(EnhancedCode::parse(s).is_ok(), "status {s:?}");
        }
        match r.reason {
            BounceReason::Complained => assert_eq!(r.kind, Kind::Hard),
            BounceReason::Verdict(Reason::Ok) => panic!("a failed recipient with reason ok"),
            BounceReason::Verdict(_) => {}
        }
    }
    if report.records.is_empty() {
        match report.format {
            Format::Unreadable => assert!(report.error.is_some()),
            Format::NotBounce => assert!(report.notice.is_some()),
            // A report whose only recipients were not addresses.
            _ => {}
        }
    }
    serde_json::to_string(&report).expect("a report serializes");
}

/// VERP return paths and bounce reading (`bounce::verp`) under arbitrary
/// bytes, with a fixed key. First byte bit 0: the rest is one return path
/// for `decode` (UTF-8, else lossy); else the rest is a message for
/// `recipients_in_raw`, its first line also an envelope recipient.
///
/// Invariants: no panic; what `decode` accepts is a suppression key that is
/// its own key, and encoding it again (at any bounce domain) gives a path
/// that decodes to it; a message yields at most `MAX_CANDIDATES` keys, each
/// of which `decode` would accept from its own encoding.
pub fn verp(data: &[u8]) {
    use prebounce_core::bounce::verp::{VerpKey, MAX_CANDIDATES};
    use prebounce_core::suppression;

    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let key = VerpKey::new(b"fuzzing secret, thirty-two bytes").expect("a 32-byte secret");
    let check_key = |k: &str| {
        assert_eq!(
            suppression::key(k).as_deref(),
            Ok(k),
            "{k:?} is not its own key"
        );
        // Only a path that encode made can carry a valid tag, so its key
        // encodes again (a forged tag would need 2^50 tries).
        let again = key
            .encode(k, "bounces.example")
            .expect("a decoded key encodes");
        assert_eq!(key.decode(&again).as_deref(), Ok(k));
    };
    if first & 1 == 1 {
        let text = String::from_utf8_lossy(rest);
        if let Ok(k) = key.decode(&text) {
            check_key(&k);
        }
        let _ = key.encode(&text, "bounces.example");
    } else {
        let envelope =
            String::from_utf8_lossy(rest.split(|&b| b == b'\n').next().unwrap_or(&[])).into_owned();
        let found = key.recipients_in_raw(rest, &[&envelope]);
        assert!(found.len() <= MAX_CANDIDATES);
        for k in &found {
            check_key(k);
        }
    }
}

/// Postfix log lines (`bounce::postfix_log`): every line of the input
/// (lossy UTF-8) parsed against a fixed reference time, and the whole input
/// sniffed. Invariants: no panic; a bounce exists only for a `bounced`
/// delivery line, has a recipient, and its status (if any) is an RFC 3463
/// code.
pub fn postfix_log(data: &[u8]) {
    use prebounce_core::bounce::postfix_log::{looks_like_log, parse_line, DeliveryStatus, Event};
    use prebounce_core::reply::EnhancedCode;
    use prebounce_core::time::StoreTime;

    let _ = looks_like_log(data);
    let text = String::from_utf8_lossy(data);
    let reference = StoreTime::from_unix(1_796_700_000);
    for line in text.lines() {
        let Some(parsed) = parse_line(line, reference) else {
            continue;
        };
        assert!(!parsed.queue_id.is_empty());
        let bounced =
            matches!(&parsed.event, Event::Delivery(d) if d.status == DeliveryStatus::Bounced);
        match parsed.bounce() {
            Some(b) => {
                assert!(bounced);
                assert!(!b.recipient.is_empty());
                if let Some(s) = &b.status {
                    assert!(EnhancedCode::parse(s).is_ok(), "status {s:?}");
                }
            }
            None => assert!(
                !bounced
                    || matches!(&parsed.event, Event::Delivery(d) if d.to.is_empty() && d.orig_to.is_none())
            ),
        }
        let _ = parsed.bounce_on_expiry();
    }
}

/// The SMTP session machine under arbitrary server bytes: its invariants
/// are `prebounce_smtp::exercise`'s (shared with `crates/smtp/tests/props.rs`).
pub fn smtp(data: &[u8]) {
    prebounce_smtp::exercise::exercise(data);
}
