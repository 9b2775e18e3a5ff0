use proptest::prelude::*;

use super::*;

fn mx(preference: u16, exchange: &str) -> MxRecord {
    MxRecord {
        preference,
        exchange: exchange.to_owned(),
    }
}

fn records(list: &[(u16, &str)], ttl: Option<u32>) -> MxAnswer {
    MxAnswer::Records {
        records: list.iter().map(|&(p, e)| mx(p, e)).collect(),
        ttl,
    }
}

fn expect_plan(decision: MxDecision) -> MxPlan {
    match decision {
        MxDecision::Plan(plan) => plan,
        other => panic!("expected a plan, got {other:?}"),
    }
}

fn expect_fail(decision: MxDecision) -> MxFailure {
    match decision {
        MxDecision::Fail(failure) => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn expect_lookup(decision: MxDecision) -> ImplicitLookup {
    match decision {
        MxDecision::NeedAddressLookup(lookup) => lookup,
        other => panic!("expected an address lookup, got {other:?}"),
    }
}

fn names(plan: &MxPlan) -> Vec<&str> {
    plan.hosts.iter().map(|r| r.exchange.as_str()).collect()
}

#[test]
fn orders_by_preference_and_normalizes() {
    let answer = records(
        &[
            (20, "MX2.Example.COM."),
            (10, "mx1.example.com."),
            (30, "backup.example.net"),
        ],
        Some(300),
    );
    let plan = expect_plan(plan("example.com", answer, 7));
    assert_eq!(
        names(&plan),
        ["mx1.example.com", "mx2.example.com", "backup.example.net"]
    );
    assert_eq!(plan.hosts[0].preference, 10);
    assert!(!plan.implicit);
    assert_eq!(plan.ttl, Some(300));
    assert!(plan.skipped.is_empty());
    assert_eq!(
        plan.dns_info(),
        DnsInfo {
            mx: vec![
                mx(10, "mx1.example.com"),
                mx(20, "mx2.example.com"),
                mx(30, "backup.example.net")
            ],
            null_mx: false,
            implicit_mx: false,
            ttl: Some(300),
        }
    );
}

#[test]
fn duplicates_keep_the_lowest_preference() {
    let answer = records(
        &[
            (20, "mx.example.com"),
            (5, "MX.example.com."),
            (10, "other.example.com"),
        ],
        None,
    );
    let plan = expect_plan(plan("example.com", answer, 0));
    assert_eq!(
        plan.hosts,
        vec![mx(5, "mx.example.com"), mx(10, "other.example.com")]
    );
}

#[test]
fn single_null_mx_is_null_mx() {
    for exchange in [".", ""] {
        let failure = expect_fail(plan(
            "example.com",
            records(&[(0, exchange)], Some(3600)),
            1,
        ));
        assert_eq!(failure.reason, Reason::NullMx);
        assert_eq!(failure.detail, "example.com publishes a null MX (RFC 7505)");
        assert_eq!(
            failure.dns,
            Some(DnsInfo {
                mx: vec![],
                null_mx: true,
                implicit_mx: false,
                ttl: Some(3600)
            })
        );
        assert_eq!(failure.to_string(), failure.detail);
    }
}

#[test]
fn root_with_other_preference_and_nothing_else_is_null_mx() {
    let failure = expect_fail(plan("example.com", records(&[(10, ".")], None), 1));
    assert_eq!(failure.reason, Reason::NullMx);
}

#[test]
fn null_mx_beside_real_hosts_is_skipped() {
    let answer = records(&[(0, "."), (10, "mx.example.com")], Some(60));
    let plan = expect_plan(plan("example.com", answer, 1));
    assert_eq!(plan.hosts, vec![mx(10, "mx.example.com")]);
    assert_eq!(
        plan.skipped,
        vec![SkippedRecord {
            record: mx(0, ""),
            why: SkipReason::NullMxAmongOthers
        }]
    );
    assert!(!plan.dns_info().null_mx);
    assert_eq!(
        plan.skipped[0].to_string(),
        "MX 0 .: a null MX published beside other MX records"
    );
}

#[test]
fn root_with_nonzero_preference_beside_hosts_is_skipped() {
    let plan = expect_plan(plan(
        "example.com",
        records(&[(5, "."), (10, "mx.example.com")], None),
        1,
    ));
    assert_eq!(plan.skipped[0].why, SkipReason::RootExchange);
}

#[test]
fn null_mx_beside_only_unusable_records_is_null_mx() {
    let failure = expect_fail(plan(
        "example.com",
        records(&[(0, "."), (10, "192.0.2.1")], None),
        1,
    ));
    assert_eq!(failure.reason, Reason::NullMx);
}

#[test]
fn ip_literal_exchanges_are_skipped() {
    let answer = records(
        &[
            (10, "192.0.2.1"),
            (10, "[192.0.2.2]"),
            (20, "2001:db8::1"),
            (20, "[IPv6:2001:db8::2]"),
            (30, "mx.example.com"),
        ],
        None,
    );
    let plan = expect_plan(plan("example.com", answer, 1));
    assert_eq!(names(&plan), ["mx.example.com"]);
    assert_eq!(plan.skipped.len(), 4);
    assert!(plan.skipped.iter().all(|s| s.why == SkipReason::IpLiteral));
}

#[test]
fn only_unusable_records_mean_no_mail_server_without_fallback() {
    let failure = expect_fail(plan(
        "example.com",
        records(&[(10, "192.0.2.1"), (20, "bad..name")], Some(30)),
        1,
    ));
    assert_eq!(failure.reason, Reason::NoMailServer);
    assert_eq!(
        failure.detail,
        "no usable MX host for example.com (MX 10 192.0.2.1: an IP address, not a host name; \
         MX 20 bad..name: not a valid host name)"
    );
    assert_eq!(
        failure.dns,
        Some(DnsInfo {
            mx: vec![],
            null_mx: false,
            implicit_mx: false,
            ttl: Some(30)
        })
    );
}

#[test]
fn no_mail_server_detail_stays_short() {
    let list: Vec<String> = (1..=6).map(|i| format!("192.0.2.{i}")).collect();
    let answer: Vec<(u16, &str)> = list.iter().map(|h| (10, h.as_str())).collect();
    let failure = expect_fail(plan("example.com", records(&answer, None), 1));
    assert!(failure
        .detail
        .ends_with("MX 10 192.0.2.3: an IP address, not a host name; 3 more)"));
}

#[test]
fn malformed_names_are_skipped() {
    let long_label = "a".repeat(64);
    let long_name = format!("{}.com", ["abcdefghi"; 26].join("."));
    assert!(long_name.len() > 253);
    for bad in [
        "mx example.com",
        "mx..example.com",
        "10.0.0",
        "mx.ex\u{e4}mple.com",
        long_label.as_str(),
        long_name.as_str(),
        "..",
    ] {
        let plan = expect_plan(plan(
            "example.com",
            records(&[(10, bad), (20, "ok.example.com")], None),
            1,
        ));
        assert_eq!(names(&plan), ["ok.example.com"], "{bad}");
        assert_eq!(plan.skipped[0].why, SkipReason::InvalidName, "{bad}");
    }
    // Lenient on purpose: underscores, single labels and digits below the top.
    for good in [
        "mail_1.example.com",
        "localhost",
        "123.example.com",
        "xn--bcher-kva.de",
    ] {
        let plan = expect_plan(plan("example.com", records(&[(10, good)], None), 1));
        assert_eq!(names(&plan), [good]);
    }
}

#[test]
fn no_mx_asks_for_addresses_then_plans_the_domain_itself() {
    let lookup = expect_lookup(plan(
        "Example.COM.",
        MxAnswer::NoRecords { ttl: Some(900) },
        1,
    ));
    assert_eq!(lookup.domain(), "example.com");
    let plan = lookup
        .finish(AddressAnswer::Found { ttl: Some(120) })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.hosts, vec![mx(0, "example.com")]);
    assert!(plan.implicit);
    assert_eq!(plan.ttl, Some(120));
    assert_eq!(
        plan.dns_info(),
        DnsInfo {
            mx: vec![mx(0, "example.com")],
            null_mx: false,
            implicit_mx: true,
            ttl: Some(120)
        }
    );
}

#[test]
fn empty_record_list_counts_as_no_mx() {
    let lookup = expect_lookup(plan("example.com", records(&[], Some(50)), 1));
    let plan = lookup
        .finish(AddressAnswer::Found { ttl: Some(600) })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.ttl, Some(50));
}

#[test]
fn no_mx_and_no_address_is_no_mail_server() {
    let lookup = expect_lookup(plan(
        "example.com",
        MxAnswer::NoRecords { ttl: Some(300) },
        1,
    ));
    let failure = lookup
        .finish(AddressAnswer::NoRecords { ttl: Some(60) })
        .unwrap_err();
    assert_eq!(failure.reason, Reason::NoMailServer);
    assert_eq!(failure.detail, "example.com has no MX and no A/AAAA record");
    assert_eq!(
        failure.dns,
        Some(DnsInfo {
            mx: vec![],
            null_mx: false,
            implicit_mx: false,
            ttl: Some(60)
        })
    );
}

#[test]
fn nxdomain_is_no_such_domain() {
    let failure = expect_fail(plan(
        "nope.example",
        MxAnswer::NxDomain { ttl: Some(10) },
        1,
    ));
    assert_eq!(failure.reason, Reason::NoSuchDomain);
    assert_eq!(failure.detail, "nope.example does not exist (NXDOMAIN)");
    assert_eq!(
        failure.dns,
        Some(DnsInfo {
            mx: vec![],
            null_mx: false,
            implicit_mx: false,
            ttl: Some(10)
        })
    );
    let failure = plan_implicit("nope.example", AddressAnswer::NxDomain { ttl: None }).unwrap_err();
    assert_eq!(failure.reason, Reason::NoSuchDomain);
}

#[test]
fn lookup_failures_are_dns_errors() {
    let failure = expect_fail(plan("example.com", MxAnswer::Failed("SERVFAIL".into()), 1));
    assert_eq!(failure.reason, Reason::DnsError);
    assert_eq!(failure.detail, "MX lookup for example.com failed: SERVFAIL");
    assert_eq!(failure.dns, None);
    let failure = plan_implicit("example.com", AddressAnswer::Failed(" ".into())).unwrap_err();
    assert_eq!(failure.reason, Reason::DnsError);
    assert_eq!(failure.detail, "A/AAAA lookup for example.com failed");
}

#[test]
fn plan_implicit_matches_the_two_step_path() {
    let direct = plan_implicit("example.com", AddressAnswer::Found { ttl: Some(5) });
    let stepped = expect_lookup(plan("example.com", MxAnswer::NoRecords { ttl: None }, 9))
        .finish(AddressAnswer::Found { ttl: Some(5) });
    assert_eq!(direct, stepped);
}

#[test]
fn equal_preferences_are_shuffled_by_the_seed() {
    let hosts: Vec<String> = (0..8).map(|i| format!("mx{i}.example.com")).collect();
    let list: Vec<(u16, &str)> = hosts.iter().map(|h| (10, h.as_str())).collect();
    let orders: std::collections::BTreeSet<Vec<String>> = (0..20u64)
        .map(|seed| {
            let plan = expect_plan(plan("example.com", records(&list, None), seed));
            plan.hosts.into_iter().map(|r| r.exchange).collect()
        })
        .collect();
    // 20 seeds over 8! orders: a working shuffle gives (nearly) all distinct.
    assert!(orders.len() > 15, "{}", orders.len());
}

#[test]
fn domain_seed_is_stable_and_case_blind() {
    assert_eq!(domain_seed("Example.COM."), domain_seed("example.com"));
    assert_ne!(domain_seed("example.com"), domain_seed("example.net"));
    // FNV-1a 64 of the empty string is its offset basis.
    assert_eq!(domain_seed(""), 0xcbf2_9ce4_8422_2325);
}

#[test]
fn splitmix64_matches_the_reference_sequence() {
    // Reference values for seed 0 from the published algorithm.
    let mut rng = SplitMix64(0);
    assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
    assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
}

fn arb_records() -> impl Strategy<Value = Vec<MxRecord>> {
    prop::collection::vec((0u16..4, 0usize..12), 1..16).prop_map(|v| {
        v.into_iter()
            .map(|(p, h)| mx(p * 10, &format!("mx{h}.example.com")))
            .collect()
    })
}

#[test]
fn a_and_aaaa_answers_combine() {
    use AddressAnswer::{Failed, Found, NoRecords, NxDomain};
    let none = |ttl| NoRecords { ttl: Some(ttl) };
    assert_eq!(
        AddressAnswer::combine(Found { ttl: Some(300) }, none(60)),
        Found { ttl: Some(300) }
    );
    assert_eq!(
        AddressAnswer::combine(Failed("x".into()), Found { ttl: None }),
        Found { ttl: None }
    );
    assert_eq!(
        AddressAnswer::combine(none(60), NxDomain { ttl: Some(30) }),
        NxDomain { ttl: Some(30) }
    );
    assert_eq!(
        AddressAnswer::combine(none(60), Failed("x".into())),
        Failed("x".into())
    );
    assert_eq!(AddressAnswer::combine(none(60), none(30)), none(30));
    assert_eq!(
        AddressAnswer::combine(NoRecords { ttl: None }, none(30)),
        none(30)
    );
}

proptest! {
    #[test]
    fn plan_is_a_deduplicated_permutation_in_preference_order(input in arb_records(), seed: u64) {
        let answer = MxAnswer::Records { records: input.clone(), ttl: None };
        let plan = expect_plan(plan("example.com", answer, seed));
        // preferences never decrease
        prop_assert!(plan.hosts.windows(2).all(|w| w[0].preference <= w[1].preference));
        // exactly the distinct hosts, each with its lowest preference
        let mut want: BTreeMap<String, u16> = BTreeMap::new();
        for r in &input {
            let p = want.entry(r.exchange.clone()).or_insert(r.preference);
            *p = (*p).min(r.preference);
        }
        let mut got: Vec<(String, u16)> =
            plan.hosts.iter().map(|r| (r.exchange.clone(), r.preference)).collect();
        got.sort();
        prop_assert_eq!(got, want.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn order_depends_only_on_the_set_and_the_seed(input in arb_records(), seed: u64) {
        let answer = MxAnswer::Records { records: input.clone(), ttl: None };
        let a = expect_plan(plan("example.com", answer, seed));
        let mut reversed = input;
        reversed.reverse();
        let answer = MxAnswer::Records { records: reversed, ttl: None };
        let b = expect_plan(plan("example.com", answer, seed));
        prop_assert_eq!(a.hosts, b.hosts);
    }

    #[test]
    fn shuffle_is_a_permutation(len in 0usize..40, seed: u64) {
        let mut items: Vec<usize> = (0..len).collect();
        SplitMix64(seed).shuffle(&mut items);
        let mut sorted = items.clone();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (0..len).collect::<Vec<_>>());
        let mut again: Vec<usize> = (0..len).collect();
        SplitMix64(seed).shuffle(&mut again);
        prop_assert_eq!(items, again);
    }

    #[test]
    fn below_stays_in_range(n in 1usize..1000, seed: u64) {
        prop_assert!(SplitMix64(seed).below(n) < n);
    }
}
