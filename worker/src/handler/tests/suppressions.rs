//! The suppression routes against the in-memory SQLite, and `/v1/check`
//! consulting the list.

use prebounce_core::suppression::merge;
use prebounce_core::SuppressionInfo;

use super::*;
use prebounce_core::time::format_ms as iso_ms;

const SK: &str = "sk_test_1";

fn record(address: &str, reason: &str, first: &str, last: &str, count: u32) -> Value {
    json!({"address": address, "reason": reason, "first_seen": first, "last_seen": last,
           "count": count, "source": "import"})
}

fn put(records: &[Value], fake: &Fake) -> (u16, Value) {
    let body = json!({ "suppressions": records }).to_string();
    let (s, b, _) = run(
        request("PUT", "/v1/suppressions", &body, SK),
        &config(&[]),
        fake,
    );
    (s, b)
}

fn get_one(address: &str, fake: &Fake) -> (u16, Value) {
    let path = format!("/v1/suppressions/{}", address.replace('@', "%40"));
    let (s, b, _) = run(request("GET", &path, "", SK), &config(&[]), fake);
    (s, b)
}

fn delete(address: &str, fake: &Fake) -> (u16, Value, HttpResponse) {
    let path = format!("/v1/suppressions/{}", address.replace('@', "%40"));
    run(request("DELETE", &path, "", SK), &config(&[]), fake)
}

fn page(query: &str, fake: &Fake) -> (u16, Value) {
    let (s, b, _) = run(
        request("GET", &format!("/v1/suppressions?{query}"), "", SK),
        &config(&[]),
        fake,
    );
    (s, b)
}

fn info_of(v: &Value) -> SuppressionInfo {
    SuppressionInfo {
        reason: v["reason"].as_str().unwrap().into(),
        first_seen: v["first_seen"].as_str().unwrap().parse().unwrap(),
        last_seen: v["last_seen"].as_str().unwrap().parse().unwrap(),
        count: v["count"].as_u64().unwrap() as u32,
        source: v["source"].as_str().unwrap().into(),
    }
}

#[test]
fn secret_keys_only() {
    let fake = Fake::default();
    let c = config(&[]);
    for (method, path) in [
        ("GET", "/v1/suppressions/a%40example.com"),
        ("DELETE", "/v1/suppressions/a%40example.com"),
        ("GET", "/v1/suppressions"),
        ("PUT", "/v1/suppressions"),
    ] {
        let (s, b, _) = run(request(method, path, "{}", ""), &c, &fake);
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (401, Some("unauthorized")),
            "{method} {path}"
        );
        let mut pk = request(method, path, "{}", "pk_test_1");
        pk.headers.push(("origin".into(), SITE.into()));
        let (s, b, _) = run(pk, &c, &fake);
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{method} {path}"
        );
    }
    assert_eq!(fake.batches.get(), 0, "refused before the store");
}

#[test]
fn put_get_delete() {
    let fake = Fake::default();
    assert_eq!(get_one("john.doe@xn--bcher-kva.de", &fake).0, 404);
    let (s, b) = put(
        &[
            record(
                "John.Doe@Bücher.DE",
                "mailbox_disabled",
                "2026-03-14T09:26:53Z",
                "2026-03-15T00:00:00Z",
                2,
            ),
            record(
                "a+tag@example.com",
                "complained",
                "2026-03-14T09:26:53Z",
                "2026-03-14T09:26:53Z",
                1,
            ),
        ],
        &fake,
    );
    assert_eq!((s, &b), (200, &json!({"received": 2, "changed": 2})));
    // Stored under core's key, found by any spelling of the address.
    let (s, b) = get_one("JOHN.DOE@b%C3%BCcher.de", &fake);
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"address": "john.doe@xn--bcher-kva.de", "reason": "mailbox_disabled",
               "first_seen": "2026-03-14T09:26:53Z", "last_seen": "2026-03-15T00:00:00Z",
               "count": 2, "source": "import"})
    );
    let (s, b, _) = run(
        request("GET", "/v1/suppressions/a%2Btag%40example.com", "", SK),
        &config(&[]),
        &fake,
    );
    assert_eq!((s, b["reason"].as_str()), (200, Some("complained")));
    let (s, _, resp) = delete("john.doe@xn--bcher-kva.de", &fake);
    assert_eq!((s, resp.body.len()), (204, 0));
    assert_eq!(get_one("john.doe@xn--bcher-kva.de", &fake).0, 404);
    let (s, b, _) = delete("john.doe@xn--bcher-kva.de", &fake);
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
    // Put back after a deletion: a fresh record, not merged with the old one.
    let (_, b) = put(
        &[record(
            "john.doe@xn--bcher-kva.de",
            "does_not_exist",
            "2026-04-01T00:00:00Z",
            "2026-04-01T00:00:00Z",
            1,
        )],
        &fake,
    );
    assert_eq!(b["changed"], 1);
    let (_, b) = get_one("john.doe@xn--bcher-kva.de", &fake);
    assert_eq!(
        (b["reason"].as_str(), b["count"].as_u64()),
        (Some("does_not_exist"), Some(1))
    );
}

#[test]
fn putting_twice_changes_nothing_and_merging_is_cores() {
    let fake = Fake::default();
    let times = [
        "2026-01-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
    ];
    let mut infos = Vec::new();
    for (i, first) in times.iter().enumerate() {
        for last in &times[i..] {
            for (count, reason, source) in [(1, "mailbox_full", "a"), (3, "does_not_exist", "b")] {
                infos.push(SuppressionInfo {
                    reason: reason.into(),
                    first_seen: first.parse().unwrap(),
                    last_seen: last.parse().unwrap(),
                    count,
                    source: source.into(),
                });
            }
        }
    }
    let json_of = |address: &str, i: &SuppressionInfo| {
        json!({"address": address, "reason": i.reason, "first_seen": i.first_seen,
               "last_seen": i.last_seen, "count": i.count, "source": i.source})
    };
    let mut n = 0;
    for a in &infos {
        for b in &infos {
            n += 1;
            // Two requests, then both records in one request.
            let (one, two) = (format!("p{n}@example.com"), format!("q{n}@example.com"));
            put(&[json_of(&one, a)], &fake);
            put(&[json_of(&one, b)], &fake);
            put(&[json_of(&two, a), json_of(&two, b)], &fake);
            let want = merge(a, b);
            for address in [&one, &two] {
                let (s, got) = get_one(address, &fake);
                assert_eq!(s, 200);
                assert_eq!(info_of(&got), want, "merge({a:?}, {b:?})");
            }
        }
    }
    // The same request again: the rows are as they were, untouched.
    let records = [
        record(
            "x@example.com",
            "mailbox_full",
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            2,
        ),
        record(
            "y@example.com",
            "does_not_exist",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            1,
        ),
    ];
    assert_eq!(put(&records, &fake).1["changed"], 2);
    let before =
        fake.sql("SELECT * FROM suppressions WHERE address IN ('x@example.com', 'y@example.com')");
    fake.now_ms.set(fake.now_ms.get() + 60_000);
    assert_eq!(put(&records, &fake).1, json!({"received": 2, "changed": 0}));
    let after =
        fake.sql("SELECT * FROM suppressions WHERE address IN ('x@example.com', 'y@example.com')");
    assert_eq!(before, after, "updated_at kept too");
    // An older, smaller record changes nothing either.
    let older = record(
        "x@example.com",
        "rejected",
        "2026-01-01T00:00:00Z",
        "2026-01-01T12:00:00Z",
        1,
    );
    assert_eq!(put(&[older], &fake).1["changed"], 0);
}

#[test]
fn a_bad_item_rejects_the_whole_batch() {
    let fake = Fake::default();
    let good = record(
        "good@example.com",
        "does_not_exist",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        1,
    );
    let t = "2026-01-01T00:00:00Z";
    let cases = [
        (
            record("not an address", "does_not_exist", t, t, 1),
            "suppressions[1]: address",
        ),
        (
            record("a@example.com", "gone", t, t, 1),
            "suppressions[1]: reason",
        ),
        // Issue 12: a reason that never suppresses is refused with the
        // words `prebounce suppressions import` uses (core's check), so a
        // pushed `blocked` record can never suppress an address.
        (
            record("a@example.com", "blocked", t, t, 1),
            "suppressions[1]: reason \"blocked\" is not a reason that suppresses",
        ),
        (
            record("a@example.com", "ok", t, t, 1),
            "is not a reason that suppresses",
        ),
        (
            record("a@example.com", "does_not_exist", "2026-01-01", t, 1),
            "suppressions[1]: first_seen",
        ),
        (
            record(
                "a@example.com",
                "does_not_exist",
                t,
                "2026-01-01T00:00:00+01:00",
                1,
            ),
            "suppressions[1]: last_seen",
        ),
        (
            record(
                "a@example.com",
                "does_not_exist",
                "2026-02-01T00:00:00Z",
                t,
                1,
            ),
            "first_seen is after last_seen",
        ),
        (
            record("a@example.com", "does_not_exist", t, t, 0),
            "suppressions[1]: count",
        ),
        (
            json!({"address": "a@example.com", "reason": "does_not_exist", "first_seen": t,
                "last_seen": t, "count": 1, "source": ""}),
            "suppressions[1]: source",
        ),
        (
            json!({"address": "a@example.com", "reason": "does_not_exist", "first_seen": t,
                "last_seen": t, "count": 1}),
            "suppressions[1]: missing field `source`",
        ),
        (
            json!({"address": "a@example.com", "reason": "does_not_exist", "first_seen": t,
                "last_seen": t, "count": -1, "source": "x"}),
            "suppressions[1]",
        ),
        (
            json!({"address": "a@example.com", "reason": "does_not_exist", "first_seen": t,
                "last_seen": t, "count": 1, "source": "x", "extra": 1}),
            "unknown field `extra`",
        ),
        (json!("a@example.com"), "suppressions[1]"),
    ];
    for (bad, says) in cases {
        let (s, b) = put(&[good.clone(), bad.clone()], &fake);
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}"
        );
        let message = b["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{bad}: {message}");
    }
    assert_eq!(
        get_one("good@example.com", &fake).0,
        404,
        "nothing of a bad batch is stored"
    );
    for body in [
        "{",
        "[]",
        "{}",
        r#"{"suppressions": {}}"#,
        r#"{"suppressions": [], "x": 1}"#,
    ] {
        let (s, _, _) = run(
            request("PUT", "/v1/suppressions", body, SK),
            &config(&[]),
            &fake,
        );
        assert_eq!(s, 400, "{body}");
    }
    let many: Vec<Value> = (0..1001)
        .map(|i| record(&format!("a{i}@example.com"), "does_not_exist", t, t, 1))
        .collect();
    let (s, b) = put(&many, &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (413, Some("too_many_suppressions"))
    );
    let big = format!(r#"{{"suppressions": [], "pad": "{}"}}"#, "x".repeat(3000));
    let (s, b, _) = run(
        request("PUT", "/v1/suppressions", &big, SK),
        &config(&[("MAX_BULK_BODY_BYTES", "2000")]),
        &fake,
    );
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // A thousand records are fine.
    let (s, b) = put(&many[..1000], &fake);
    assert_eq!((s, b["changed"].as_u64()), (200, Some(1000)));
}

#[test]
fn paging_through_changes() {
    let fake = Fake::default();
    let t = "2026-01-01T00:00:00Z";
    let first: Vec<Value> = (0..5)
        .map(|i| record(&format!("a{i}@example.com"), "does_not_exist", t, t, 1))
        .collect();
    put(&first, &fake);
    let t2 = fake.now_ms.get() + 1000;
    fake.now_ms.set(t2);
    let second: Vec<Value> = (0..3)
        .map(|i| record(&format!("b{i}@example.com"), "complained", t, t, 1))
        .collect();
    put(&second, &fake);

    // Everything, three at a time.
    let mut seen = Vec::new();
    let mut query = "limit=3".to_owned();
    let mut pages = 0;
    loop {
        let (s, b) = page(&query, &fake);
        assert_eq!(s, 200, "{b}");
        pages += 1;
        for item in b["suppressions"].as_array().unwrap() {
            assert_eq!(item["deleted"], false);
            seen.push((
                item["updated_at"].as_str().unwrap().to_owned(),
                item["address"].as_str().unwrap().to_owned(),
            ));
        }
        match b["next_cursor"].as_str() {
            Some(c) => query = format!("limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "in (updated_at, address) order");
    assert_eq!(seen.len(), 8);
    assert_eq!(seen[5], (iso_ms(t2 as i64), "b0@example.com".to_owned()));

    // Only what changed since t2; the default page holds it all.
    let (_, b) = page(&format!("since={}", iso_ms(t2 as i64)), &fake);
    assert_eq!(b["suppressions"].as_array().unwrap().len(), 3);
    assert_eq!(b["next_cursor"], Value::Null);
    let (_, b) = page("since=2999-01-01T00:00:00Z", &fake);
    assert_eq!(b, json!({"suppressions": [], "next_cursor": null}));

    // A deletion shows up as a tombstone.
    fake.now_ms.set(t2 + 1000);
    delete("a1@example.com", &fake);
    let (_, b) = page(&format!("since={}", iso_ms(t2 as i64 + 1000)), &fake);
    assert_eq!(
        b["suppressions"],
        json!([{"address": "a1@example.com", "updated_at": iso_ms(t2 as i64 + 1000), "deleted": true}])
    );

    for bad in [
        "since=yesterday",
        "cursor=nope",
        "limit=0",
        "limit=1001",
        "limit=x",
        "since=2026-01-01T00:00:00Z&since=2026-01-01T00:00:00Z",
        "from=1",
    ] {
        let (s, b) = page(bad, &fake);
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}"
        );
    }
}

#[test]
fn tombstones_are_purged_after_30_days() {
    let fake = Fake::default();
    let t = "2026-01-01T00:00:00Z";
    put(
        &[
            record("old@example.com", "does_not_exist", t, t, 1),
            record("new@example.com", "does_not_exist", t, t, 1),
        ],
        &fake,
    );
    delete("old@example.com", &fake);
    fake.now_ms.set(fake.now_ms.get() + 31 * 86_400_000);
    delete("new@example.com", &fake);
    let rows = fake.sql("SELECT address FROM suppressions");
    assert_eq!(
        rows,
        vec![vec![rusqlite::types::Value::Text("new@example.com".into())]]
    );
}

#[test]
fn paths_are_decoded_and_checked() {
    let fake = Fake::default();
    let c = config(&[]);
    for (path, status) in [
        ("/v1/suppressions/not-an-address", 400),
        ("/v1/suppressions/a%ZZ%40example.com", 400),
        ("/v1/suppressions/a%FF%40example.com", 400),
        ("/v1/suppressions/a%40example.com/more", 404),
        ("/v1/suppressions/a%40example.com", 404),
    ] {
        let (s, b, _) = run(request("GET", path, "", SK), &c, &fake);
        assert_eq!(s, status, "{path}: {b}");
    }
    for (method, path, status) in [
        ("POST", "/v1/suppressions", 405),
        ("DELETE", "/v1/suppressions", 405),
        ("PUT", "/v1/suppressions/a%40example.com", 405),
        ("POST", "/v1/suppressions/a%40example.com/x", 404),
    ] {
        let (s, _, _) = run(request(method, path, "", SK), &c, &fake);
        assert_eq!(s, status, "{method} {path}");
    }
}

#[test]
fn checks_consult_the_list_without_dns_or_probe() {
    let fake = Fake::default();
    // Checked (and cached) before it was suppressed.
    let before = batch(&["nobody@alpha.test"], &fake);
    assert_eq!(before[0]["reason"], "does_not_exist");
    put(
        &[record(
            "Nobody@Alpha.test",
            "does_not_exist",
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            2,
        )],
        &fake,
    );
    let fetches = fake.fetches.borrow().len();
    let r = batch(
        &["nobody@alpha.test", "NOBODY@alpha.test", "ok@alpha.test"],
        &fake,
    );
    for v in &r[..2] {
        assert_eq!(
            (v["status"].as_str(), v["reason"].as_str()),
            (Some("invalid"), Some("suppressed"))
        );
        assert_eq!(
            v["suppression"],
            json!({"reason": "does_not_exist", "first_seen": "2026-01-01T00:00:00Z",
                   "last_seen": "2026-01-02T00:00:00Z", "count": 2, "source": "import"})
        );
        assert_eq!(v["depth"], "syntax");
        assert_eq!(v["cache"], "miss");
    }
    assert_eq!(r[2]["reason"], "ok");
    assert_eq!(fake.probe_fetches(), 2, "one more probe call, for ok@ only");
    assert_eq!(fake.fetches.borrow().len(), fetches + 1);
    let (s, b, _) = run(
        get("email=nobody%40alpha.test&allow_special_use=true"),
        &config(&[]),
        &fake,
    );
    assert_eq!((s, b["reason"].as_str()), (200, Some("suppressed")));
    // A deleted address is checked as usual again.
    delete("nobody@alpha.test", &fake);
    assert_eq!(
        batch(&["nobody@alpha.test"], &fake)[0]["reason"],
        "does_not_exist"
    );
}

#[test]
fn migrations_are_applied_once_per_database_and_checked_once_per_isolate() {
    let fake = Fake::default();
    assert_eq!(get_one("a@example.com", &fake).0, 404);
    assert!(fake.schema.get());
    assert_eq!(
        fake.batches.get(),
        3,
        "list the migrations, apply them, then the query"
    );
    assert_eq!(get_one("a@example.com", &fake).0, 404);
    assert_eq!(fake.batches.get(), 4, "then one batch per query");
    let names = |sql: &str| -> Vec<String> {
        fake.sql(sql)
            .into_iter()
            .map(|r| match &r[0] {
                rusqlite::types::Value::Text(t) => t.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(
        names("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name"),
        [
            "bounce_events",
            "bounce_events_counted",
            "counters",
            "d1_migrations",
            "ingest_guard",
            "sent",
            "suppressions",
            "suppressions_by_change",
            "sync_state"
        ]
    );
    assert_eq!(
        names("SELECT name FROM d1_migrations ORDER BY id"),
        [
            "0001_suppressions.sql",
            "0002_one_ledger.sql",
            "0003_ingest_guard.sql",
            "0004_trust.sql"
        ]
    );
    // A new isolate on the same database reads the list and applies nothing.
    fake.schema.set(false);
    assert_eq!(get_one("a@example.com", &fake).0, 404);
    assert_eq!(fake.batches.get(), 6);
    assert_eq!(names("SELECT name FROM d1_migrations").len(), 4);
}

#[test]
fn a_database_made_by_the_first_schema_is_upgraded_with_its_rows() {
    let fake = Fake::default();
    // What a worker before the shared migrations left: 0001's tables, a
    // record, an event, and no d1_migrations.
    let old = include_str!("../../../../crates/store/tests/fixtures/d1-0001-before.sql");
    for sql in prebounce_store::schema::statements(old) {
        fake.sql(&sql);
    }
    fake.sql("INSERT INTO suppressions (address, reason, first_seen, last_seen, count, source, updated_at) VALUES ('old@example.com', 'does_not_exist', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 2, 'ses', 5)");
    fake.sql("INSERT INTO bounce_events (message_key, recipient_key, reason, seen_at) VALUES ('sns:1', 'old@example.com', 'does_not_exist', '2026-01-02T00:00:00Z')");
    let (s, b) = get_one("old@example.com", &fake);
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["count"].as_u64(), b["reason"].as_str()),
        (Some(2), Some("does_not_exist")),
        "{b}"
    );
    let events = fake.sql("SELECT message_key, recipient, kind, source FROM bounce_events");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0][1],
        rusqlite::types::Value::Null,
        "new columns are NULL for old rows"
    );
}

#[test]
fn a_store_that_fails_is_503_and_checks_go_on() {
    for (down, unbound, says) in [
        (true, false, "retry later"),
        (false, true, "SUPPRESSIONS_DB"),
    ] {
        let fake = Fake {
            db_down: down,
            db_unbound: unbound,
            ..Fake::default()
        };
        let (s, b) = get_one("a@example.com", &fake);
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (503, Some("store_unavailable"))
        );
        assert!(
            b["error"]["message"].as_str().unwrap().contains(says),
            "{b}"
        );
        let (s, _) = put(
            &[record(
                "a@example.com",
                "does_not_exist",
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                1,
            )],
            &fake,
        );
        assert_eq!(s, 503);
        assert_eq!(page("", &fake).0, 503);
        let r = batch(&["ok@alpha.test"], &fake);
        assert_eq!(r[0]["reason"], "ok");
        let logged = fake
            .logs
            .borrow()
            .iter()
            .any(|l| l.contains("suppression lookup failed"));
        assert_eq!(
            logged, down,
            "a failure is logged; no database at all is not"
        );
    }
}
