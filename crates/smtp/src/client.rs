//! One SMTP session as a state machine: banner, EHLO (HELO if refused),
//! STARTTLS where offered and wanted, then transactions of `MAIL FROM` and
//! many `RCPT TO`, pipelined where the server offers PIPELINING (RFC 2920).
//! Never DATA.
//!
//! The runtime's loop: write what [`Client::take_output`] gives; take the
//! next [`Client::poll`] event; when there is none and
//! [`Client::wants_read`], read and hand the bytes to [`Client::receive`].
//! When the connection fails (a deadline, the peer closing, a write error)
//! it says so with [`Client::broken`] or [`Client::send_failed`], and the
//! machine answers with what that means at this point of the dialogue.

use std::collections::VecDeque;

use prebounce_core::reply::{ReplyError, ReplyParser, MAX_LINE_BYTES, MAX_REPLY_BYTES};
use prebounce_core::{Reply, Stage};

/// What the machine itself finds wrong with the server's bytes. The
/// runtime's error type takes these in (`E: From<ProtocolError>`) next to
/// its own (deadlines, I/O, TLS).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A line longer than [`MAX_LINE_BYTES`], refused before it is buffered.
    #[error("a reply line longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong,
    /// The reply broke SMTP's framing or a size bound.
    #[error("malformed reply: {0}")]
    Reply(#[from] ReplyError),
    /// The server sent data after its STARTTLS answer (a command-injection
    /// risk, RFC 3207 §6); the connection must be dropped.
    #[error("data after the STARTTLS reply")]
    StartTlsInjection,
}

/// What the server offered in its EHLO reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extensions {
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
}

impl Extensions {
    /// Reads the keywords of an EHLO reply (every line but the first).
    pub fn parse(reply: &Reply) -> Extensions {
        let mut ext = Extensions::default();
        for line in reply.lines.iter().skip(1) {
            let keyword = line.split_ascii_whitespace().next().unwrap_or("");
            match keyword.to_ascii_uppercase().as_str() {
                "PIPELINING" => ext.pipelining = true,
                "STARTTLS" => ext.starttls = true,
                "SMTPUTF8" => ext.smtputf8 = true,
                _ => {}
            }
        }
        ext
    }

    /// Whether this server may be asked about `address` (in its wire form).
    /// An address that is not ASCII (a UTF-8 local part; the domain goes as
    /// A-labels) needs SMTPUTF8, and RFC 6531 §3.4 forbids sending it to a
    /// server that did not offer SMTPUTF8 (or took HELO, not EHLO). Such a
    /// server's refusal would say nothing about the mailbox.
    pub fn accepts(&self, address: &str) -> bool {
        self.smtputf8 || address.is_ascii()
    }
}

/// The answers to one group of recipients ([`Client::ask`]).
#[derive(Debug, PartialEq)]
pub enum GroupAnswer<E> {
    /// The replies to the recipients, in order; fewer than asked when the
    /// connection broke (`broken` says how).
    Rcpt {
        /// One reply per recipient answered, in order.
        replies: Vec<Reply>,
        /// Why the rest got no reply.
        broken: Option<E>,
    },
    /// MAIL FROM was refused: the reply stands for every recipient.
    MailRefused(Reply),
}

/// What happened, for the runtime to act on.
#[derive(Debug, PartialEq)]
pub enum Event<E> {
    /// The session is greeted and ready for [`Client::ask`].
    Opened,
    /// STARTTLS was accepted: write what is pending, then run the TLS
    /// handshake on the connection and call [`Client::tls_established`]
    /// (or [`Client::broken`] with the handshake's error).
    StartTls,
    /// The server answered but refused the session (a 4xx/5xx banner, EHLO
    /// and HELO refused, a 421 to STARTTLS). A QUIT may be pending
    /// ([`Client::is_quitting`]).
    Refused {
        /// The command the refusal answers.
        stage: Stage,
        /// The reply.
        reply: Reply,
        /// TLS was in use.
        tls: bool,
    },
    /// The connection failed before the session was open.
    Failed {
        /// What failed.
        error: E,
        /// The server had sent at least its banner.
        answered: bool,
        /// TLS was in use.
        tls: bool,
    },
    /// The answers to the group asked; `Err` when the connection broke
    /// before the MAIL FROM (or RSET) reply, or a pipelined write failed.
    Answer(Result<GroupAnswer<E>, E>),
    /// QUIT was answered, or the connection is gone after it.
    Closed,
}

/// Where the dialogue is.
#[derive(Debug)]
enum State {
    /// Waiting for the banner.
    Banner,
    /// EHLO sent.
    Ehlo,
    /// HELO sent (EHLO was refused).
    Helo,
    /// STARTTLS sent.
    StartTls,
    /// The runtime runs the TLS handshake.
    Handshake,
    /// Open, no group in flight.
    Ready,
    /// A group in flight.
    Asking(Ask),
    /// QUIT sent.
    Quitting,
    /// Nothing more to say or hear.
    Done,
}

/// A group of commands in flight.
#[derive(Debug)]
struct Ask {
    /// RSET went first.
    rset: bool,
    /// MAIL FROM went (after RSET, if any).
    mail: bool,
    /// Written all at once.
    pipelined: bool,
    /// Commands not yet written (one at a time without PIPELINING).
    unsent: VecDeque<Vec<u8>>,
    /// Replies expected in all.
    expected: usize,
    /// Replies so far.
    replies: Vec<Reply>,
}

/// One SMTP client session, with no I/O (see the module doc).
#[derive(Debug)]
pub struct Client<E> {
    helo: String,
    want_tls: bool,
    state: State,
    ext: Extensions,
    tls: bool,
    answered: bool,
    /// Received bytes not yet taken apart (only read while a reply is due).
    inbox: Vec<u8>,
    parser: ReplyParser,
    out: Vec<u8>,
    errors: usize,
    txn: Option<usize>,
    events: VecDeque<Event<E>>,
}

impl<E: From<ProtocolError>> Client<E> {
    /// A session that greets as `helo` and upgrades with STARTTLS when the
    /// server offers it and `starttls` is set. It waits for the banner.
    pub fn new(helo: &str, starttls: bool) -> Client<E> {
        Client {
            helo: helo.to_owned(),
            want_tls: starttls,
            state: State::Banner,
            ext: Extensions::default(),
            tls: false,
            answered: false,
            inbox: Vec::new(),
            parser: ReplyParser::new(),
            out: Vec::new(),
            errors: 0,
            txn: None,
            events: VecDeque::new(),
        }
    }

    /// What the server offered in its (last) EHLO reply.
    pub fn extensions(&self) -> Extensions {
        self.ext
    }

    /// TLS is in use.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// Replies 4xx/5xx received in transactions so far (servers count
    /// these; Postfix slows down after 10 and hangs up after 20).
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// Recipients asked in the open transaction (0 when none is open).
    pub fn rcpts_in_transaction(&self) -> usize {
        self.txn.unwrap_or(0)
    }

    /// The session is open and idle: [`Client::ask`] may be called.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready)
    }

    /// QUIT is sent and its reply awaited.
    pub fn is_quitting(&self) -> bool {
        matches!(self.state, State::Quitting)
    }

    /// A reply is due: the runtime should read.
    pub fn wants_read(&self) -> bool {
        matches!(
            self.state,
            State::Banner
                | State::Ehlo
                | State::Helo
                | State::StartTls
                | State::Asking(_)
                | State::Quitting
        )
    }

    /// Bytes to write now (empty when there are none).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The next event, if any.
    pub fn poll(&mut self) -> Option<Event<E>> {
        self.events.pop_front()
    }

    /// Takes bytes the server sent. Replies are read only while one is
    /// due; the rest waits for the next command (up to a reply's size
    /// bound: past it the session is over, and the next `ask` is refused).
    pub fn receive(&mut self, data: &[u8]) {
        if matches!(self.state, State::Done) {
            return;
        }
        if matches!(self.state, State::Handshake) && !data.is_empty() {
            // Plain text between the 220 and the handshake: RFC 3207 §6.
            self.inbox.clear();
            self.fail(E::from(ProtocolError::StartTlsInjection), true);
            return;
        }
        self.inbox.extend_from_slice(data);
        if !self.wants_read() && self.inbox.len() > MAX_REPLY_BYTES {
            // A server talking while nothing is due, past any reply's size.
            self.inbox.clear();
            self.state = State::Done;
            return;
        }
        self.pump();
    }

    /// The TLS handshake after [`Event::StartTls`] succeeded: greets again.
    pub fn tls_established(&mut self) {
        if matches!(self.state, State::Handshake) {
            self.tls = true;
            self.parser.reset();
            self.send_line(format!("EHLO {}\r\n", self.helo).into_bytes());
            self.state = State::Ehlo;
        }
    }

    /// The connection failed (a deadline passed, the server closed, a read
    /// or the TLS handshake failed): the dialogue ends here.
    pub fn broken(&mut self, error: E) {
        let state = std::mem::replace(&mut self.state, State::Done);
        match state {
            State::Banner => self.fail(error, false),
            State::Ehlo | State::Helo | State::StartTls | State::Handshake => {
                self.fail(error, true)
            }
            State::Asking(ask) => {
                let answer = self.settle(ask, Some(error));
                self.events.push_back(Event::Answer(answer));
            }
            State::Quitting => self.events.push_back(Event::Closed),
            State::Ready | State::Done => {}
        }
    }

    /// Writing failed. A pipelined group gets no answer at all (nothing of
    /// it reached the server); otherwise it is [`Client::broken`].
    pub fn send_failed(&mut self, error: E) {
        if let State::Asking(ask) = &self.state {
            if ask.pipelined {
                self.state = State::Done;
                self.events.push_back(Event::Answer(Err(error)));
                return;
            }
        }
        self.broken(error);
    }

    /// Asks about `rcpts` (already in their ASCII or UTF-8 wire form) with
    /// MAIL FROM `from` (empty for `<>`), opening a transaction if none is
    /// open and starting a new one (RSET first) when `new_transaction`.
    /// Pipelined when the server offers it. Returns false (and does
    /// nothing) unless the session is open and idle ([`Client::is_ready`]),
    /// or when a recipient needs SMTPUTF8 and the server did not offer it
    /// ([`Extensions::accepts`]; the caller answers those addresses
    /// itself, see `dialogue::screen`).
    pub fn ask(
        &mut self,
        from: &str,
        smtputf8: bool,
        rcpts: &[String],
        new_transaction: bool,
    ) -> bool {
        if !matches!(self.state, State::Ready) || !rcpts.iter().all(|r| self.ext.accepts(r)) {
            return false;
        }
        let rset = new_transaction && self.txn.is_some();
        if rset {
            self.txn = None;
        }
        let mail = self.txn.is_none();
        let mut commands: VecDeque<Vec<u8>> = VecDeque::with_capacity(rcpts.len() + 2);
        if rset {
            commands.push_back(b"RSET\r\n".to_vec());
        }
        if mail {
            let utf8 = if smtputf8 && self.ext.smtputf8 {
                " SMTPUTF8"
            } else {
                ""
            };
            commands.push_back(format!("MAIL FROM:<{from}>{utf8}\r\n").into_bytes());
        }
        for r in rcpts {
            commands.push_back(format!("RCPT TO:<{r}>\r\n").into_bytes());
        }
        let pipelined = self.ext.pipelining;
        let expected = commands.len();
        if pipelined {
            for c in commands.drain(..) {
                self.out.extend_from_slice(&c);
            }
        } else if let Some(c) = commands.pop_front() {
            self.out.extend_from_slice(&c);
        }
        self.state = State::Asking(Ask {
            rset,
            mail,
            pipelined,
            unsent: commands,
            expected,
            replies: Vec::with_capacity(expected),
        });
        if expected == 0 {
            self.finish_ask(None);
        }
        self.pump();
        true
    }

    /// Says QUIT (its reply is awaited, but nothing depends on it).
    pub fn quit(&mut self) {
        if matches!(self.state, State::Ready) {
            self.send_quit();
        } else {
            self.state = State::Done;
        }
    }

    fn send_quit(&mut self) {
        self.send_line(b"QUIT\r\n".to_vec());
        self.state = State::Quitting;
    }

    fn send_line(&mut self, line: Vec<u8>) {
        self.out.extend_from_slice(&line);
    }

    fn fail(&mut self, error: E, answered: bool) {
        self.state = State::Done;
        self.events.push_back(Event::Failed {
            error,
            answered: answered || self.answered,
            tls: self.tls,
        });
    }

    /// Reads complete lines while a reply is due.
    fn pump(&mut self) {
        while self.wants_read() {
            let Some(end) = self.inbox.iter().position(|&b| b == b'\n') else {
                if self.inbox.len() > MAX_LINE_BYTES {
                    self.protocol_error(ProtocolError::LineTooLong);
                }
                return;
            };
            if end + 1 > MAX_LINE_BYTES {
                self.protocol_error(ProtocolError::LineTooLong);
                return;
            }
            let line: Vec<u8> = self.inbox.drain(..=end).collect();
            match self.parser.push_line(&line) {
                Ok(None) => {}
                Ok(Some(reply)) => self.on_reply(reply),
                Err(e) => {
                    self.protocol_error(ProtocolError::Reply(e));
                    return;
                }
            }
        }
    }

    fn protocol_error(&mut self, e: ProtocolError) {
        self.inbox.clear();
        self.broken(E::from(e));
    }

    fn on_reply(&mut self, reply: Reply) {
        let state = std::mem::replace(&mut self.state, State::Done);
        match state {
            State::Banner => {
                self.answered = true;
                if reply.is_positive() {
                    self.send_line(format!("EHLO {}\r\n", self.helo).into_bytes());
                    self.state = State::Ehlo;
                } else {
                    // RFC 5321 §3.1: after a 554 greeting the client should QUIT.
                    self.refuse(Stage::Banner, reply, true);
                }
            }
            State::Ehlo => {
                if reply.is_positive() {
                    self.ext = Extensions::parse(&reply);
                    if self.ext.starttls && self.want_tls && !self.tls {
                        self.send_line(b"STARTTLS\r\n".to_vec());
                        self.state = State::StartTls;
                    } else {
                        self.open();
                    }
                } else if reply.code == 421 || reply.is_transient() {
                    self.refuse(Stage::Ehlo, reply, false);
                } else {
                    self.send_line(format!("HELO {}\r\n", self.helo).into_bytes());
                    self.state = State::Helo;
                }
            }
            State::Helo => {
                if reply.is_positive() {
                    self.ext = Extensions::default();
                    self.open();
                } else {
                    self.refuse(Stage::Ehlo, reply, true);
                }
            }
            State::StartTls => {
                if reply.code == 220 {
                    if self.inbox.is_empty() {
                        self.state = State::Handshake;
                        self.events.push_back(Event::StartTls);
                    } else {
                        self.inbox.clear();
                        self.fail(E::from(ProtocolError::StartTlsInjection), true);
                    }
                } else if reply.code == 421 {
                    self.state = State::Done;
                    self.events.push_back(Event::Refused {
                        stage: Stage::Other,
                        reply,
                        tls: false,
                    });
                } else {
                    // Refused or not understood: go on in plain text.
                    self.open();
                }
            }
            State::Asking(mut ask) => {
                let is_mail = ask.mail && ask.replies.len() == usize::from(ask.rset);
                let stop = !ask.pipelined && is_mail && !reply.is_positive();
                ask.replies.push(reply);
                if ask.replies.len() >= ask.expected || stop {
                    self.state = State::Asking(ask);
                    self.finish_ask(None);
                } else {
                    if !ask.pipelined {
                        if let Some(c) = ask.unsent.pop_front() {
                            self.out.extend_from_slice(&c);
                        }
                    }
                    self.state = State::Asking(ask);
                }
            }
            State::Quitting => {
                self.events.push_back(Event::Closed);
            }
            State::Handshake | State::Ready | State::Done => {
                // Unreachable: no reply is read in these states (`wants_read`).
                self.state = state;
            }
        }
    }

    fn open(&mut self) {
        self.state = State::Ready;
        self.events.push_back(Event::Opened);
    }

    /// A refused greeting; QUIT follows unless the server already said 421
    /// (closing) or `quit` is false.
    fn refuse(&mut self, stage: Stage, reply: Reply, quit: bool) {
        let tls = self.tls;
        if quit && reply.code != 421 {
            self.send_quit();
        } else {
            self.state = State::Done;
        }
        self.events.push_back(Event::Refused { stage, reply, tls });
    }

    fn finish_ask(&mut self, broken: Option<E>) {
        if let State::Asking(ask) = std::mem::replace(&mut self.state, State::Ready) {
            let answer = self.settle(ask, broken);
            if answer.is_err() {
                self.state = State::Done;
            }
            self.events.push_back(Event::Answer(answer));
        }
    }

    /// What the replies of a group say, counting the errors a server counts.
    fn settle(&mut self, ask: Ask, broken: Option<E>) -> Result<GroupAnswer<E>, E> {
        let mut replies = ask.replies.into_iter();
        let missing = |broken: Option<E>| {
            // Without a reply and without an error the server went quiet
            // after a pipelined group: framing is lost, so is the session.
            broken.unwrap_or_else(|| E::from(ProtocolError::Reply(ReplyError::Incomplete)))
        };
        if ask.rset {
            // An RSET refusal changes nothing for the recipients.
            match replies.next() {
                Some(r) => self.count(&r),
                None => return Err(missing(broken)),
            }
        }
        if ask.mail {
            let Some(reply) = replies.next() else {
                return Err(missing(broken));
            };
            self.count(&reply);
            if !reply.is_positive() {
                // Pipelined RCPTs after a refused MAIL get 503s: count them
                // (servers do), but the MAIL reply is the answer.
                for r in replies {
                    self.count(&r);
                }
                return Ok(GroupAnswer::MailRefused(reply));
            }
            self.txn = Some(0);
        }
        let out: Vec<Reply> = replies.collect();
        for r in &out {
            self.count(r);
        }
        if let Some(n) = self.txn.as_mut() {
            *n += out.len();
        }
        Ok(GroupAnswer::Rcpt {
            replies: out,
            broken,
        })
    }

    fn count(&mut self, reply: &Reply) {
        if reply.code >= 400 {
            self.errors += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_while_nothing_is_due_are_bounded() {
        let mut c: Client<ProtocolError> = Client::new("probe.example", false);
        c.receive(b"220 hi\r\n");
        c.receive(b"250 hi\r\n");
        assert_eq!(c.take_output(), b"EHLO probe.example\r\n");
        assert_eq!(c.poll(), Some(Event::Opened));
        // A reply's worth of chatter waits for the next command ...
        c.receive(&vec![b'x'; MAX_REPLY_BYTES]);
        assert!(c.is_ready());
        // ... more ends the session.
        c.receive(b"x");
        assert!(!c.is_ready() && !c.wants_read());
        assert!(!c.ask("", false, &["a@x".into()], false));
        assert_eq!(c.poll(), None);
    }

    #[test]
    fn extensions_from_ehlo() {
        let r = Reply::parse(
            b"250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n",
        )
        .unwrap();
        let e = Extensions::parse(&r);
        assert!(e.pipelining && e.starttls && e.smtputf8);
        // The greeting line is not a keyword.
        let r = Reply::parse(b"250 PIPELINING\r\n").unwrap();
        assert_eq!(Extensions::parse(&r), Extensions::default());
    }

    #[test]
    fn a_utf8_address_only_to_a_server_offering_smtputf8() {
        let without = Extensions::default();
        let with = Extensions {
            smtputf8: true,
            ..Extensions::default()
        };
        for ext in [without, with] {
            assert!(ext.accepts("john@xn--bcher-kva.de"));
            assert!(ext.accepts(""));
        }
        assert!(!without.accepts("jöhn@example.com"));
        assert!(with.accepts("jöhn@example.com"));
    }
}
