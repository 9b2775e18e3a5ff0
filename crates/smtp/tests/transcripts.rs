//! Byte transcripts: what the server sends, what the client must write, and
//! the events the runtime must see, for every case the probe's fake-server
//! tests (`crates/cli/tests/smtp_fake.rs`) drive end to end, and more.
//!
//! Each transcript runs twice: with each server chunk handed over whole,
//! and one byte at a time (replies split anywhere must read the same).

use prebounce_core::Reply;
use prebounce_smtp::{Client, Event, GroupAnswer, ProtocolError};

/// The runtime's errors, as the probe has them.
#[derive(Debug, Clone, PartialEq)]
enum Err {
    Timeout,
    Closed,
    Tls,
    Protocol(ProtocolError),
}

impl From<ProtocolError> for Err {
    fn from(e: ProtocolError) -> Err {
        Err::Protocol(e)
    }
}

/// One step of a transcript.
#[derive(Clone)]
enum Step {
    /// The server sends these bytes.
    S(&'static str),
    /// The server sends these bytes (not UTF-8).
    Raw(&'static [u8]),
    /// The client must have written exactly these bytes since the last check.
    C(&'static str),
    /// Ask about recipients (MAIL FROM `from@x` unless `null`), a new
    /// transaction when `rset`; `ok` says whether the machine accepts.
    Ask(&'static [&'static str], bool, bool),
    /// Ask with SMTPUTF8 wanted; `ok` says whether the machine accepts.
    AskUtf8(&'static [&'static str], bool),
    /// Ask with the null sender (`MAIL FROM:<>`, the default identity).
    AskNull(&'static [&'static str]),
    /// The TLS handshake succeeded.
    Tls,
    /// The connection broke.
    Broken(Err),
    /// A write failed.
    SendFailed(Err),
    /// Say QUIT.
    Quit,
    /// The next event, rendered by `show`.
    E(&'static str),
    /// Errors counted so far.
    Errors(usize),
    /// Recipients in the open transaction.
    InTxn(usize),
}
use Step::*;

fn codes(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.code.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn show(e: &Event<Err>, c: &Client<Err>) -> String {
    match e {
        Event::Opened => {
            let x = c.extensions();
            format!(
                "opened{}{}{}{}",
                if c.tls() { " tls" } else { "" },
                if x.pipelining { " pipelining" } else { "" },
                if x.starttls { " starttls" } else { "" },
                if x.smtputf8 { " smtputf8" } else { "" }
            )
        }
        Event::StartTls => "starttls".into(),
        Event::Refused { stage, reply, tls } => {
            format!(
                "refused {stage:?} {}{}",
                reply.code,
                if *tls { " tls" } else { "" }
            )
        }
        Event::Failed {
            error,
            answered,
            tls,
        } => format!(
            "failed {error:?}{}{}",
            if *answered { " answered" } else { "" },
            if *tls { " tls" } else { "" }
        ),
        Event::Answer(Ok(GroupAnswer::Rcpt {
            replies,
            broken: None,
        })) => format!("rcpt [{}]", codes(replies)),
        Event::Answer(Ok(GroupAnswer::Rcpt {
            replies,
            broken: Some(b),
        })) => {
            format!("rcpt [{}] broken {b:?}", codes(replies))
        }
        Event::Answer(Ok(GroupAnswer::MailRefused(r))) => format!("mail refused {}", r.code),
        Event::Answer(Result::Err(e)) => format!("lost {e:?}"),
        Event::Closed => "closed".into(),
    }
}

fn run(name: &str, steps: &[Step], byte_at_a_time: bool) {
    let how = if byte_at_a_time {
        "byte at a time"
    } else {
        "whole chunks"
    };
    let mut c: Client<Err> = Client::new("probe.example", true);
    run_with(name, how, &mut c, steps, byte_at_a_time);
}

fn run_with(name: &str, how: &str, c: &mut Client<Err>, steps: &[Step], byte_at_a_time: bool) {
    let mut written = Vec::new();
    let mut events = std::collections::VecDeque::new();
    for (i, step) in steps.iter().enumerate() {
        let at = format!("{name} ({how}), step {}", i + 1);
        match step {
            S(text) => feed(c, text.as_bytes(), byte_at_a_time),
            Raw(bytes) => feed(c, bytes, byte_at_a_time),
            C(expected) => {
                written.extend(c.take_output());
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    *expected,
                    "{at}: client bytes"
                );
                written.clear();
            }
            Ask(rcpts, rset, ok) => {
                let rcpts: Vec<String> = rcpts.iter().map(|r| (*r).to_owned()).collect();
                assert_eq!(
                    c.ask("from@x", false, &rcpts, *rset),
                    *ok,
                    "{at}: ask accepted"
                );
            }
            AskNull(rcpts) => {
                let rcpts: Vec<String> = rcpts.iter().map(|r| (*r).to_owned()).collect();
                assert!(c.ask("", false, &rcpts, false), "{at}");
            }
            AskUtf8(rcpts, ok) => {
                let rcpts: Vec<String> = rcpts.iter().map(|r| (*r).to_owned()).collect();
                assert_eq!(
                    c.ask("from@x", true, &rcpts, false),
                    *ok,
                    "{at}: ask accepted"
                );
            }
            Tls => c.tls_established(),
            Broken(e) => c.broken(e.clone()),
            SendFailed(e) => c.send_failed(e.clone()),
            Quit => c.quit(),
            E(expected) => {
                while let Some(e) = c.poll() {
                    let shown = show(&e, c);
                    events.push_back(shown);
                }
                assert_eq!(
                    events.pop_front().as_deref(),
                    Some(*expected),
                    "{at}: event"
                );
            }
            Errors(n) => assert_eq!(c.errors(), *n, "{at}: errors counted"),
            InTxn(n) => assert_eq!(
                c.rcpts_in_transaction(),
                *n,
                "{at}: recipients in transaction"
            ),
        }
        written.extend(c.take_output());
        // Every write is checked by a `C` step before the next server bytes.
        if matches!(steps.get(i + 1), Some(S(_) | Raw(_))) {
            assert!(
                written.is_empty(),
                "{at}: unchecked client bytes {:?}",
                String::from_utf8_lossy(&written)
            );
        }
    }
    written.extend(c.take_output());
    assert!(
        written.is_empty(),
        "{name} ({how}): unchecked client bytes at the end: {:?}",
        String::from_utf8_lossy(&written)
    );
    while let Some(e) = c.poll() {
        events.push_back(show(&e, c));
    }
    assert!(
        events.is_empty(),
        "{name} ({how}): unexpected events at the end: {events:?}"
    );
}

fn feed(c: &mut Client<Err>, bytes: &[u8], byte_at_a_time: bool) {
    if byte_at_a_time {
        for b in bytes {
            c.receive(std::slice::from_ref(b));
        }
    } else {
        c.receive(bytes);
    }
}

fn both(name: &str, steps: &[Step]) {
    run(name, steps, false);
    run(name, steps, true);
}

const BANNER: &str = "220 mx.example ESMTP\r\n";
const EHLO: &str = "EHLO probe.example\r\n";
const EHLO_PIPELINING: &str = "250-mx.example\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n";
const EHLO_PLAIN: &str = "250-mx.example\r\n250 SIZE 1000\r\n";

/// A session opened with PIPELINING and SMTPUTF8.
const OPENED: [Step; 4] = [
    S(BANNER),
    C(EHLO),
    S(EHLO_PIPELINING),
    E("opened pipelining smtputf8"),
];
/// A session opened with neither.
const OPENED_PLAIN: [Step; 4] = [S(BANNER), C(EHLO), S(EHLO_PLAIN), E("opened")];

/// STARTTLS offered and asked for.
const OFFERED_TLS: [Step; 4] = [
    S(BANNER),
    C(EHLO),
    S("250-mx.example\r\n250 STARTTLS\r\n"),
    C("STARTTLS\r\n"),
];

/// Two recipients without PIPELINING, up to the first RCPT.
const TWO_AT_A_TIME: [Step; 4] = [
    Ask(&["a@x", "b@x"], false, true),
    C("MAIL FROM:<from@x>\r\n"),
    S("250 ok\r\n"),
    C("RCPT TO:<a@x>\r\n"),
];

/// `start`, then `rest`.
fn then(start: &[Step], rest: &[Step]) -> Vec<Step> {
    start.iter().chain(rest).cloned().collect()
}

#[test]
fn a_mailbox_that_exists() {
    both(
        "accepted",
        &then(
            &OPENED,
            &[
                Ask(&["a@x"], false, true),
                C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\n"),
                S("250 2.1.0 ok\r\n250 2.1.5 ok\r\n"),
                E("rcpt [250]"),
                Errors(0),
                InTxn(1),
                Quit,
                C("QUIT\r\n"),
                S("221 bye\r\n"),
                E("closed"),
            ],
        ),
    );
}

#[test]
fn unknown_disabled_and_full_mailboxes_are_replies_like_any_other() {
    both("550 5.1.1, multi-line 5.2.1, 452 4.2.2", &then(&OPENED, &[Ask(&["gone@x", "off@x", "full@x"], false, true),
        C("MAIL FROM:<from@x>\r\nRCPT TO:<gone@x>\r\nRCPT TO:<off@x>\r\nRCPT TO:<full@x>\r\n"),
        S("250 ok\r\n550 5.1.1 no such user\r\n550-5.2.1 The email account that you tried to reach is disabled.\r\n550 5.2.1 https://support.example\r\n452 4.2.2 mailbox full\r\n"),
        E("rcpt [550,550,452]"), Errors(3), InTxn(3),
    ]));
}

#[test]
fn refused_greetings() {
    both(
        "banner 421: no QUIT",
        &[S("421 4.3.2 busy\r\n"), E("refused Banner 421")],
    );
    both(
        "banner 554: QUIT",
        &[
            S("554 5.7.1 blocked\r\n"),
            C("QUIT\r\n"),
            E("refused Banner 554"),
            S("221 bye\r\n"),
            E("closed"),
        ],
    );
    both(
        "EHLO refused: HELO",
        &[
            S(BANNER),
            C(EHLO),
            S("502 5.5.2 what\r\n"),
            C("HELO probe.example\r\n"),
            S("250 hi\r\n"),
            E("opened"),
        ],
    );
    both(
        "EHLO 421: no HELO, no QUIT",
        &[
            S(BANNER),
            C(EHLO),
            S("421 4.7.0 later\r\n"),
            E("refused Ehlo 421"),
        ],
    );
    both(
        "EHLO 4xx: no HELO",
        &[
            S(BANNER),
            C(EHLO),
            S("450 4.7.1 later\r\n"),
            E("refused Ehlo 450"),
        ],
    );
    both(
        "HELO refused too: QUIT",
        &[
            S(BANNER),
            C(EHLO),
            S("500 no\r\n"),
            C("HELO probe.example\r\n"),
            S("550 5.7.1 go away\r\n"),
            C("QUIT\r\n"),
            E("refused Ehlo 550"),
            Broken(Err::Closed),
            E("closed"),
        ],
    );
}

#[test]
fn starttls_upgrades_and_greets_again() {
    both(
        "STARTTLS",
        &[
            S(BANNER),
            C(EHLO),
            S("250-mx.example\r\n250-STARTTLS\r\n250 PIPELINING\r\n"),
            C("STARTTLS\r\n"),
            S("220 2.0.0 go ahead\r\n"),
            E("starttls"),
            Tls,
            C(EHLO),
            S("250-mx.example\r\n250 PIPELINING\r\n"),
            E("opened tls pipelining"),
            Ask(&["a@x"], false, true),
            C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\n"),
            S("250 ok\r\n250 ok\r\n"),
            E("rcpt [250]"),
        ],
    );
    both(
        "STARTTLS refused: plain text goes on",
        &[
            S(BANNER),
            C(EHLO),
            S("250-mx.example\r\n250 STARTTLS\r\n"),
            C("STARTTLS\r\n"),
            S("454 4.7.0 TLS not available\r\n"),
            E("opened starttls"),
        ],
    );
    both(
        "STARTTLS 421",
        &[
            S(BANNER),
            C(EHLO),
            S("250-mx.example\r\n250 STARTTLS\r\n"),
            C("STARTTLS\r\n"),
            S("421 4.7.0 bye\r\n"),
            E("refused Other 421"),
        ],
    );
    // Data after the 220 (RFC 3207 §6): in the same read, the handshake is
    // never asked for; in a later one (the runtime must not read then, but
    // if it does), the session ends before TLS.
    let injected = "220 go\r\n250-mx.example\r\n250 PIPELINING\r\n";
    run(
        "injection, one read",
        &then(
            &OFFERED_TLS,
            &[
                S(injected),
                E("failed Protocol(StartTlsInjection) answered"),
            ],
        ),
        false,
    );
    run(
        "injection, later reads",
        &then(
            &OFFERED_TLS,
            &[
                S(injected),
                E("starttls"),
                E("failed Protocol(StartTlsInjection) answered"),
                Tls,
            ],
        ),
        true,
    );
    both(
        "the handshake fails",
        &then(
            &OFFERED_TLS,
            &[
                S("220 go\r\n"),
                E("starttls"),
                Broken(Err::Tls),
                E("failed Tls answered"),
            ],
        ),
    );
    both(
        "EHLO refused after TLS",
        &then(
            &OFFERED_TLS,
            &[
                S("220 go\r\n"),
                E("starttls"),
                Tls,
                C(EHLO),
                S("421 4.7.0 no\r\n"),
                E("refused Ehlo 421 tls"),
            ],
        ),
    );
}

#[test]
fn without_the_starttls_flag_the_session_stays_plain() {
    let steps = [
        S(BANNER),
        C(EHLO),
        S("250-mx.example\r\n250 STARTTLS\r\n"),
        E("opened starttls"),
    ];
    for bytewise in [false, true] {
        let mut c: Client<Err> = Client::new("probe.example", false);
        run_with(
            "no STARTTLS",
            if bytewise {
                "byte at a time"
            } else {
                "whole chunks"
            },
            &mut c,
            &steps,
            bytewise,
        );
    }
}

#[test]
fn broken_and_hostile_servers_end_the_session() {
    both(
        "tarpit banner",
        &[Broken(Err::Timeout), E("failed Timeout")],
    );
    both(
        "slow drip banner",
        &[S("220 mx.exa"), Broken(Err::Timeout), E("failed Timeout")],
    );
    both(
        "closed after the banner",
        &[
            S(BANNER),
            C(EHLO),
            Broken(Err::Closed),
            E("failed Closed answered"),
        ],
    );
    let long = Box::leak(format!("220 {}", "x".repeat(5000)).into_boxed_str());
    both(
        "a line longer than the bound, no line end yet",
        &[S(long), E("failed Protocol(LineTooLong)")],
    );
    let long_line = Box::leak(format!("220 {}\r\n", "x".repeat(4093)).into_boxed_str());
    both(
        "a line over the bound with its line end",
        &[S(long_line), E("failed Protocol(LineTooLong)")],
    );
    let endless = Box::leak("250-more\r\n".repeat(101).into_boxed_str());
    both(
        "endless EHLO reply",
        &[
            S(BANNER),
            C(EHLO),
            S(endless),
            E("failed Protocol(Reply(TooManyLines)) answered"),
        ],
    );
    both(
        "not SMTP",
        &[
            S("HTTP/1.1 400 Bad Request\r\n"),
            E("failed Protocol(Reply(Malformed { line: 1 }))"),
        ],
    );
    both(
        "invalid UTF-8 in a reply's text reads",
        &[
            Raw(b"220 mx \xff\xfe\r\n"),
            C(EHLO),
            Raw(b"250 ok \xc3\r\n"),
            E("opened"),
        ],
    );
}

#[test]
fn a_connection_reset_in_the_middle_of_a_rcpt_reply() {
    both(
        "reset mid-reply",
        &then(
            &OPENED,
            &[
                Ask(&["a@x", "b@x", "c@x"], false, true),
                C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\n"),
                S("250 ok\r\n250 ok\r\n550-5.1.1 no\r\n"),
                Broken(Err::Closed),
                E("rcpt [250] broken Closed"),
                // The session is over.
                Ask(&["d@x"], false, false),
            ],
        ),
    );
    // Reset before the MAIL reply, or the pipelined write failing: no answer.
    for lost in [Broken(Err::Closed), SendFailed(Err::Closed)] {
        both(
            "a pipelined group lost before its MAIL reply",
            &then(
                &OPENED,
                &[
                    Ask(&["a@x"], false, true),
                    C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\n"),
                    lost,
                    E("lost Closed"),
                ],
            ),
        );
    }
}

#[test]
fn without_pipelining_each_command_waits_for_its_reply() {
    both(
        "one at a time",
        &then(
            &OPENED_PLAIN,
            &then(
                &TWO_AT_A_TIME,
                &[
                    S("550 5.1.1 no\r\n"),
                    C("RCPT TO:<b@x>\r\n"),
                    S("250 ok\r\n"),
                    E("rcpt [550,250]"),
                    Errors(1),
                ],
            ),
        ),
    );
    both(
        "a refused MAIL FROM stops the group",
        &then(
            &OPENED_PLAIN,
            &[
                Ask(&["a@x", "b@x"], false, true),
                C("MAIL FROM:<from@x>\r\n"),
                S("550 5.7.1 sender refused\r\n"),
                E("mail refused 550"),
                Errors(1),
                InTxn(0),
            ],
        ),
    );
    both(
        "a failed write mid-group breaks it after what was answered",
        &then(
            &OPENED_PLAIN,
            &then(
                &TWO_AT_A_TIME,
                &[
                    S("250 ok\r\n"),
                    C("RCPT TO:<b@x>\r\n"),
                    SendFailed(Err::Closed),
                    E("rcpt [250] broken Closed"),
                ],
            ),
        ),
    );
}

#[test]
fn pipelined_groups() {
    both(
        "a refused MAIL FROM answers for all; the 503s count",
        &then(
            &OPENED,
            &[
                Ask(&["a@x", "b@x"], false, true),
                C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"),
                S("550 5.7.1 blocked\r\n503 5.5.1 no MAIL\r\n503 5.5.1 no MAIL\r\n"),
                E("mail refused 550"),
                Errors(3),
            ],
        ),
    );
    both(
        "transactions: the next group adds RCPTs, a new one starts with RSET",
        &then(
            &OPENED,
            &[
                Ask(&["a@x"], false, true),
                C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\n"),
                S("250 ok\r\n250 ok\r\n"),
                E("rcpt [250]"),
                InTxn(1),
                Ask(&["b@x"], false, true),
                C("RCPT TO:<b@x>\r\n"),
                S("250 ok\r\n"),
                E("rcpt [250]"),
                InTxn(2),
                Ask(&["c@x"], true, true),
                C("RSET\r\nMAIL FROM:<from@x>\r\nRCPT TO:<c@x>\r\n"),
                S("500 RSET refused\r\n250 ok\r\n250 ok\r\n"),
                E("rcpt [250]"),
                InTxn(1),
                Errors(1),
            ],
        ),
    );
    both(
        "a 421 to a RCPT is its reply (the dialogue ends the session)",
        &then(
            &OPENED,
            &[
                Ask(&["a@x", "b@x"], false, true),
                C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"),
                S("250 ok\r\n250 ok\r\n421 4.7.0 too many errors\r\n"),
                E("rcpt [250,421]"),
            ],
        ),
    );
    both(
        "asking before the session is open, or twice at once, is refused",
        &[
            Ask(&["a@x"], false, false),
            S(BANNER),
            C(EHLO),
            S(EHLO_PIPELINING),
            E("opened pipelining smtputf8"),
            Ask(&["a@x"], false, true),
            Ask(&["b@x"], false, false),
            C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\n"),
            S("250 ok\r\n250 ok\r\n"),
            E("rcpt [250]"),
        ],
    );
    both(
        "a server that says too much: the extra reply waits for the next group",
        &then(
            &OPENED,
            &[
                Ask(&["a@x"], false, true),
                C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\n"),
                S("250 ok\r\n250 ok\r\n250 extra\r\n"),
                E("rcpt [250]"),
                Ask(&["b@x"], false, true),
                C("RCPT TO:<b@x>\r\n"),
                E("rcpt [250]"),
            ],
        ),
    );
}

#[test]
fn the_null_sender_and_temporary_replies() {
    both(
        "MAIL FROM:<>, a greylisting 450 and a 451 are replies like others",
        &then(
            &OPENED,
            &[
                AskNull(&["a@x", "b@x"]),
                C("MAIL FROM:<>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"),
                S("250 ok\r\n450 4.2.0 greylisted, try again later\r\n451 4.3.0 local error\r\n"),
                E("rcpt [450,451]"),
                Errors(2),
            ],
        ),
    );
}

#[test]
fn smtputf8_only_when_offered() {
    both(
        "offered",
        &then(
            &OPENED,
            &[
                AskUtf8(&["δοκιμή@x"], true),
                C("MAIL FROM:<from@x> SMTPUTF8\r\nRCPT TO:<δοκιμή@x>\r\n"),
                S("250 ok\r\n550 5.1.1 no\r\n"),
                E("rcpt [550]"),
            ],
        ),
    );
    both(
        "not offered",
        &[
            S(BANNER),
            C(EHLO),
            S("250-mx\r\n250 PIPELINING\r\n"),
            E("opened pipelining"),
            // RFC 6531: a UTF-8 address never goes to a server that did
            // not offer SMTPUTF8 (the probe answers it `smtp_unavailable`,
            // `dialogue::screen`); nothing is written, the session stays
            // open for ASCII addresses.
            AskUtf8(&["δοκιμή@x"], false),
            C(""),
            AskUtf8(&["a@x", "δοκιμή@x"], false),
            C(""),
            AskUtf8(&["a@x"], true),
            C("MAIL FROM:<from@x>\r\nRCPT TO:<a@x>\r\n"),
            S("250 ok\r\n550 5.1.1 no\r\n"),
            E("rcpt [550]"),
        ],
    );
    both(
        "HELO only",
        &[
            S(BANNER),
            C(EHLO),
            S("500 what\r\n"),
            C("HELO probe.example\r\n"),
            S("250 mx\r\n"),
            E("opened"),
            AskUtf8(&["δοκιμή@x"], false),
            C(""),
        ],
    );
}

#[test]
fn quit_waits_for_its_reply_or_the_end() {
    both(
        "QUIT answered",
        &then(
            &OPENED_PLAIN,
            &[Quit, C("QUIT\r\n"), S("221 bye\r\n"), E("closed")],
        ),
    );
    both(
        "QUIT unanswered",
        &then(
            &OPENED_PLAIN,
            &[Quit, C("QUIT\r\n"), Broken(Err::Timeout), E("closed")],
        ),
    );
}
