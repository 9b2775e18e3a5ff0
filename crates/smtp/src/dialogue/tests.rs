use super::*;

fn reply(raw: &str) -> Reply {
    Reply::parse(raw.as_bytes()).unwrap()
}

fn tried(address: &str, tries: u8) -> Pending {
    Pending {
        address: address.into(),
        tries,
    }
}

fn pending(names: &[&str]) -> Vec<Pending> {
    names
        .iter()
        .map(|n| Pending::new((*n).to_owned()))
        .collect()
}

const LIMITS: Limits = Limits {
    errors_per_session: 10,
    rcpts_per_transaction: 100,
    session_reuse: true,
};

/// A runtime error for the tests: a timeout or not.
#[derive(Debug, PartialEq)]
struct Broke(bool);

fn describe(e: &Broke) -> Breakage {
    Breakage {
        timeout: e.0,
        detail: if e.0 {
            "timed out".into()
        } else {
            "closed".into()
        },
    }
}

fn code(o: &SmtpOutcome) -> Option<u16> {
    match o {
        SmtpOutcome::Answered { reply, .. } => Some(reply.code),
        SmtpOutcome::Unavailable { .. } => None,
    }
}

#[test]
fn groups_are_sized_by_the_error_budget_and_the_transaction_room() {
    let mut ca = CatchAll::Known(false);
    let g = next_group(&LIMITS, 0, 0, false, &mut ca).unwrap();
    assert_eq!((g.size, g.new_transaction, g.catch_all), (10, false, false));
    // Budget spent: the session ends.
    assert_eq!(next_group(&LIMITS, 10, 0, true, &mut ca), None);
    // Three errors drawn: seven left.
    assert_eq!(next_group(&LIMITS, 3, 0, true, &mut ca).unwrap().size, 7);
    // The transaction is full: RSET, and the full room again.
    let roomy = Limits {
        errors_per_session: 1000,
        rcpts_per_transaction: 5,
        ..LIMITS
    };
    let g = next_group(&roomy, 0, 5, true, &mut ca).unwrap();
    assert_eq!((g.size, g.new_transaction), (5, true));
    assert_eq!(next_group(&roomy, 0, 3, true, &mut ca).unwrap().size, 2);
    // Never more than MAX_GROUP in one write.
    let huge = Limits {
        errors_per_session: 10_000,
        rcpts_per_transaction: 10_000,
        ..LIMITS
    };
    assert_eq!(
        next_group(&huge, 0, 0, false, &mut ca).unwrap().size,
        MAX_GROUP
    );
    // One address per connection without session reuse.
    let single = Limits {
        session_reuse: false,
        ..LIMITS
    };
    assert_eq!(next_group(&single, 0, 0, false, &mut ca).unwrap().size, 1);
    assert_eq!(next_group(&single, 0, 0, true, &mut ca), None);
}

#[test]
fn the_catch_all_question_takes_one_place_when_there_is_room_for_two() {
    let mut ca = CatchAll::Unknown { tries: 0 };
    let g = next_group(&LIMITS, 9, 0, false, &mut ca).unwrap();
    assert_eq!(
        (g.size, g.catch_all),
        (1, false),
        "a budget of one has no room"
    );
    assert_eq!(ca, CatchAll::Unknown { tries: 0 });
    let g = next_group(&LIMITS, 0, 0, false, &mut ca).unwrap();
    assert_eq!((g.size, g.catch_all), (9, true));
    assert_eq!(ca, CatchAll::Asking { tries: 1 });
    // Another session does not ask it while one is asking.
    assert!(!next_group(&LIMITS, 0, 0, false, &mut ca).unwrap().catch_all);
    ca.unanswered();
    assert!(ca.take(2));
    ca.unanswered();
    assert!(!ca.take(2), "two tries at most");
    assert_eq!(ca.known(), None);

    assert_eq!(
        recipients(&["a@x", "b@x"], Some("r@x")),
        ["a@x", "r@x", "b@x"]
    );
    assert_eq!(recipients(&["a@x"], Some("r@x")), ["a@x", "r@x"]);
    assert_eq!(recipients(&["a@x"], None), ["a@x"]);

    let mut ca = CatchAll::Asking { tries: 1 };
    ca.record(Some(&reply("250 ok")));
    assert_eq!(ca.known(), Some(true));
    let mut ca = CatchAll::Asking { tries: 1 };
    ca.record(Some(&reply("550 5.1.1 no")));
    assert_eq!(ca.known(), Some(false));
    let mut ca = CatchAll::Asking { tries: 1 };
    ca.record(Some(&reply("450 4.2.0 later")));
    assert_eq!(ca, CatchAll::Unknown { tries: 1 });
}

#[test]
fn every_reply_answers_its_address_and_the_random_one_answers_the_question() {
    let answer = Ok::<_, Broke>(GroupAnswer::Rcpt {
        replies: vec![reply("250 ok"), reply("250 ok"), reply("550 5.1.1 no")],
        broken: None,
    });
    let s = settle("mx", true, pending(&["a", "b"]), true, answer, describe);
    let got: Vec<(&str, Option<u16>)> = s
        .answered
        .iter()
        .map(|(a, o)| (a.as_str(), code(o)))
        .collect();
    assert_eq!(got, [("a", Some(250)), ("b", Some(550))]);
    assert_eq!(s.catch_all, Some(Some(reply("250 ok"))));
    assert_eq!((s.progress, s.next), (Progress::Answered, Next::Continue));
}

#[test]
fn a_421_ends_the_session_and_the_address_gets_another() {
    let answer = Ok::<_, Broke>(GroupAnswer::Rcpt {
        replies: vec![reply("250 ok"), reply("421 4.7.0 closing")],
        broken: None,
    });
    let s = settle("mx", false, pending(&["a", "b"]), false, answer, describe);
    assert_eq!(s.answered.len(), 1);
    assert_eq!(s.retry, [tried("b", 1)]);
    assert_eq!((s.progress, s.next), (Progress::Answered, Next::Drop));
    // A second 421 for the same address: its tries are spent, the 421 is its answer.
    let answer = Ok::<_, Broke>(GroupAnswer::Rcpt {
        replies: vec![reply("421 bye")],
        broken: None,
    });
    let again = vec![tried("b", 1)];
    let s = settle("mx", false, again, false, answer, describe);
    assert_eq!(code(&s.answered[0].1), Some(421));
    assert!(
        matches!(s.progress, Progress::Fruitless(_)),
        "no real answer came"
    );
}

#[test]
fn a_broken_connection_blames_the_first_unanswered_address_only() {
    let answer = Ok(GroupAnswer::Rcpt {
        replies: vec![reply("250 ok")],
        broken: Some(Broke(false)),
    });
    let s = settle(
        "mx",
        false,
        pending(&["a", "b", "c", "d"]),
        false,
        answer,
        describe,
    );
    assert_eq!(s.answered.len(), 1);
    assert_eq!(s.retry, [tried("b", 1)]);
    assert_eq!(
        s.front,
        pending(&["c", "d"]),
        "never looked at: no try used, order kept"
    );
    assert_eq!((s.progress, s.next), (Progress::Answered, Next::Drop));
    // A timeout gives the blamed address no second try.
    let answer = Ok(GroupAnswer::Rcpt {
        replies: vec![],
        broken: Some(Broke(true)),
    });
    let s = settle("mx", false, pending(&["a", "b"]), true, answer, describe);
    match &s.answered[..] {
        [(
            a,
            SmtpOutcome::Unavailable {
                detail,
                answered: true,
                ..
            },
        )] => {
            assert_eq!(a, "a");
            assert_eq!(detail, "mx: timed out");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.front, pending(&["b"]));
    assert_eq!(s.catch_all, Some(None), "the question stays open");
    assert_eq!(s.progress, Progress::Fruitless("mx: timed out".into()));
}

#[test]
fn a_refused_sender_answers_the_group_and_when_permanent_the_queue() {
    let answer = Ok::<_, Broke>(GroupAnswer::MailRefused(reply("550 5.7.1 sender blocked")));
    let s = settle("mx", false, pending(&["a", "b"]), true, answer, describe);
    assert_eq!(s.answered.len(), 2);
    assert!(s.answered.iter().all(|(_, o)| matches!(
        o,
        SmtpOutcome::Answered {
            stage: Stage::MailFrom,
            ..
        }
    )));
    assert!(s.answer_queue.is_some());
    assert_eq!(s.catch_all, Some(None));
    assert_eq!((s.progress, s.next), (Progress::Unchanged, Next::Quit));
    let answer = Ok::<_, Broke>(GroupAnswer::MailRefused(reply("451 4.3.0 try later")));
    let s = settle("mx", false, pending(&["a"]), false, answer, describe);
    assert_eq!(
        s.answer_queue, None,
        "a temporary refusal is this group's only"
    );
}

#[test]
fn a_lost_group_is_retried_unless_it_timed_out() {
    let s = settle(
        "mx",
        false,
        pending(&["a", "b"]),
        false,
        Err(Broke(false)),
        describe,
    );
    assert_eq!(s.retry.len(), 2);
    assert_eq!(
        (s.progress, s.next),
        (Progress::Fruitless("mx: closed".into()), Next::Drop)
    );
    let s = settle(
        "mx",
        false,
        pending(&["a"]),
        false,
        Err(Broke(true)),
        describe,
    );
    assert_eq!(s.retry, []);
    assert_eq!(s.answered.len(), 1);
}

#[test]
fn a_utf8_address_is_never_asked_of_a_server_without_smtputf8() {
    let group = || pending(&["a@x", "jöhn@x", "b@x", "δοκιμή@x"]);
    let without = Extensions::default();
    let (ask, refused) = screen("mx", true, &without, group());
    assert_eq!(
        ask,
        pending(&["a@x", "b@x"]),
        "the ASCII ones keep their order"
    );
    let names: Vec<&str> = refused.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["jöhn@x", "δοκιμή@x"]);
    for (_, o) in &refused {
        match o {
            SmtpOutcome::Unavailable {
                mx,
                answered,
                tls,
                detail,
            } => {
                assert_eq!(mx.as_deref(), Some("mx"));
                assert!(*answered && *tls);
                assert!(
                    detail.contains("does not accept internationalized addresses")
                        && detail.contains("SMTPUTF8"),
                    "{detail}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // A server that offers SMTPUTF8 is asked about everyone.
    let with = Extensions {
        smtputf8: true,
        ..Extensions::default()
    };
    let (ask, refused) = screen("mx", false, &with, group());
    assert_eq!((ask, refused), (group(), vec![]));
}
