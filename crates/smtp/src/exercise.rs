//! The machine under arbitrary server bytes, with its invariants checked:
//! shared by the fuzz target (`fuzz/`, `smtp`) and the property test
//! (`tests/props.rs`), so both check the same things.

use crate::{Client, Event, ProtocolError};

/// A runtime error for the exercise (the machine's own errors, or the
/// connection closing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broke {
    /// A protocol error the machine found.
    Protocol(ProtocolError),
    /// The input ran out: the server closed.
    Closed,
}

impl From<ProtocolError> for Broke {
    fn from(e: ProtocolError) -> Broke {
        Broke::Protocol(e)
    }
}

/// How far an exercise got (for tests that want to know the inputs reach
/// the interesting states).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// The session opened.
    pub opened: bool,
    /// TLS was started.
    pub tls: bool,
    /// Groups answered with RCPT replies.
    pub answers: usize,
}

/// Drives a client with `data` (byte 0: options and chunking; the rest: what
/// the server sends, handed over in chunks of 1 to 64 bytes) and asks a group whenever
/// the session is open and idle. Panics when an invariant breaks:
///
/// - every command written is a whole line of EHLO, HELO, STARTTLS, MAIL,
///   RCPT, RSET or QUIT (never DATA), and nothing is written after the
///   dialogue ended except the QUIT of a refused greeting;
/// - a group is answered with no more RCPT replies than it asked;
/// - the session opens at most once, TLS starts at most once, and nothing
///   happens after a failure.
pub fn exercise(data: &[u8]) -> Reach {
    let Some((&flags, mut rest)) = data.split_first() else {
        return Reach::default();
    };
    let mut answers = 0;
    let mut chunking = u32::from(flags);
    let mut client: Client<Broke> = Client::new("probe.example", flags & 1 != 0);
    let mut asked = 0usize;
    let mut opened = false;
    let mut tls_started = false;
    let mut over = false;
    let mut groups = 0;
    let mut quitting_allowed = false;
    loop {
        let out = client.take_output();
        check_commands(&out, over, quitting_allowed);
        while let Some(event) = client.poll() {
            assert!(
                !over || matches!(event, Event::Closed),
                "event after the end: {event:?}"
            );
            match event {
                Event::Opened => {
                    assert!(!opened, "opened twice");
                    opened = true;
                }
                Event::StartTls => {
                    assert!(!tls_started && !opened, "STARTTLS twice, or after opening");
                    tls_started = true;
                    if flags & 2 == 0 {
                        client.tls_established();
                    } else {
                        client.broken(Broke::Closed);
                    }
                }
                Event::Refused { .. } => {
                    assert!(!opened, "a greeting refused after the session opened");
                    over = true;
                    quitting_allowed = client.is_quitting();
                }
                Event::Failed { .. } => {
                    assert!(!opened, "an opening failure after the session opened");
                    over = true;
                }
                Event::Answer(Ok(crate::GroupAnswer::Rcpt { replies, broken })) => {
                    assert!(
                        replies.len() <= asked,
                        "{} replies to {asked} recipients",
                        replies.len()
                    );
                    answers += usize::from(!replies.is_empty());
                    over |= broken.is_some();
                }
                Event::Answer(Ok(crate::GroupAnswer::MailRefused(r))) => {
                    assert!(!r.is_positive(), "a positive MAIL reply read as a refusal");
                }
                Event::Answer(Err(_)) => over = true,
                Event::Closed => over = true,
            }
        }
        let out = client.take_output();
        check_commands(&out, over, quitting_allowed);
        if opened && !over && client.is_ready() {
            groups += 1;
            if groups > 4 {
                client.quit();
                quitting_allowed = true;
                over = true;
                continue;
            }
            asked = 1 + usize::from(flags >> 4);
            let rcpts: Vec<String> = (0..asked).map(|i| format!("r{i}@example.com")).collect();
            assert!(client.ask("", flags & 4 != 0, &rcpts, flags & 8 != 0 && groups > 1));
            continue;
        }
        if rest.is_empty() {
            client.broken(Broke::Closed);
            let out = client.take_output();
            check_commands(&out, true, quitting_allowed);
            while client.poll().is_some() {}
            return Reach {
                opened,
                tls: tls_started,
                answers,
            };
        }
        // Chunk sizes from 1 to 64 bytes, drawn from the first byte.
        chunking = chunking.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = 1 + (chunking >> 16) as usize % 64;
        let (chunk, tail) = rest.split_at(n.min(rest.len()));
        client.receive(chunk);
        rest = tail;
    }
}

/// Every line a command the probe may send; after the end, only a QUIT
/// (of a refused greeting or a session closed politely).
fn check_commands(out: &[u8], over: bool, quit_allowed: bool) {
    if out.is_empty() {
        return;
    }
    assert!(
        out.ends_with(b"\r\n"),
        "a partial command: {:?}",
        String::from_utf8_lossy(out)
    );
    for line in out.split_inclusive(|&b| b == b'\n') {
        let known = [
            &b"EHLO "[..],
            b"HELO ",
            b"STARTTLS\r\n",
            b"MAIL FROM:<",
            b"RCPT TO:<",
            b"RSET\r\n",
            b"QUIT\r\n",
        ];
        assert!(
            known.iter().any(|k| line.starts_with(k)),
            "unexpected command {:?}",
            String::from_utf8_lossy(line)
        );
        if over {
            assert!(
                quit_allowed && line == b"QUIT\r\n",
                "a command after the end: {:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
}
