//! A scriptable fake SMTP server for the probe's integration tests.
//!
//! [`FakeSmtp::start`] listens on `127.0.0.1:0` and serves every connection in
//! a thread of its own, with blocking sockets. A [`Script`] decides what the
//! server says: the banner, the EHLO and HELO replies, STARTTLS (a
//! self-signed certificate), and the reply to every MAIL FROM and RCPT TO
//! (functions of the command, the connection and the attempt). Hostile
//! behaviours are [`Action`]s: silence, a byte drip, an endless multi-line
//! reply, a reset in the middle of a reply.
//!
//! Everything received is logged per connection ([`FakeSmtp::conns`]), with
//! the code of the reply given, and the server notes protocol mistakes a
//! polite client never makes ([`Conn::violations`]): DATA, a nested MAIL,
//! a command before the greeting, a command after STARTTLS before a new EHLO.
//!
//! Dropping the server stops it: the listener closes, every open socket is
//! shut down and every thread joined.

#![allow(dead_code)] // each test binary uses a part of it

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What the server does in answer to a command (or on connect, for the
/// banner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send these bytes (a complete reply, line ends included) and go on.
    Reply(Vec<u8>),
    /// Send these bytes, then close the connection (FIN).
    ReplyAndClose(Vec<u8>),
    /// Send these bytes, then reset the connection (SO_LINGER 0, RST).
    SendAndReset(Vec<u8>),
    /// Send these bytes, then never say anything again: read (and log) what
    /// the client sends until it closes.
    SendAndHang(Vec<u8>),
    /// Close the connection without a word.
    Close,
    /// Send `bytes` one byte at a time, one every `every`, cycling forever.
    Drip {
        /// The bytes to send, in a loop.
        bytes: Vec<u8>,
        /// The pause between two bytes.
        every: Duration,
    },
    /// Send this line again and again, as fast as the client takes it.
    Endless(Vec<u8>),
}

impl Action {
    /// A reply from text: lines separated by `\n` (or `\r\n`), each sent
    /// with CRLF. `"550-5.2.1 a\n550 5.2.1 b"` is a two-line reply.
    pub fn reply(text: &str) -> Action {
        Action::Reply(crlf(text.as_bytes()))
    }

    /// A reply from raw bytes (which may be invalid UTF-8), normalized to
    /// CRLF line ends like [`Action::reply`].
    pub fn reply_bytes(bytes: &[u8]) -> Action {
        Action::Reply(crlf(bytes))
    }

    /// A reply, then the server closes the connection (`421 …`).
    pub fn reply_and_close(text: &str) -> Action {
        Action::ReplyAndClose(crlf(text.as_bytes()))
    }

    /// Nothing at all, until the client gives up (a tarpit).
    pub fn hang() -> Action {
        Action::SendAndHang(Vec::new())
    }

    /// A reply whose lines (after the first) name this EHLO keyword.
    fn offers(&self, keyword: &str) -> bool {
        let Action::Reply(bytes) = self else {
            return false;
        };
        String::from_utf8_lossy(bytes).lines().skip(1).any(|l| {
            l.get(4..)
                .and_then(|k| k.split_ascii_whitespace().next())
                .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
        })
    }

    /// The reply code this action sends, if it sends a reply.
    fn code(&self) -> Option<u16> {
        let bytes = match self {
            Action::Reply(b) | Action::ReplyAndClose(b) | Action::SendAndReset(b) => b,
            _ => return None,
        };
        let digits = bytes.get(..3)?;
        std::str::from_utf8(digits).ok()?.parse().ok()
    }
}

/// Lines joined by CRLF, with a final CRLF.
fn crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 4);
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What the server knows when MAIL FROM arrives.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The reverse path between `<` and `>` (empty for the null sender).
    pub from: String,
    /// The connection, counting from 1.
    pub conn: usize,
}

/// What the server knows when RCPT TO arrives.
#[derive(Debug, Clone)]
pub struct Rcpt {
    /// The forward path between `<` and `>`, lower-cased.
    pub addr: String,
    /// How many times this address was asked, this time included (over all
    /// connections).
    pub attempt: usize,
    /// The connection, counting from 1.
    pub conn: usize,
    /// The RCPT commands seen on this connection, this one included.
    pub nth_in_conn: usize,
    /// The RCPT commands refused with a 5xx on this connection so far.
    pub rejected_in_conn: usize,
}

type MailFn = dyn Fn(&Mail) -> Action + Send + Sync;
type RcptFn = dyn Fn(&Rcpt) -> Action + Send + Sync;

/// What the server says. Build one with [`Script::new`] and its methods.
pub struct Script {
    name: String,
    banner: Action,
    ehlo: Option<Action>,
    extensions: Vec<String>,
    helo: Action,
    tls: Option<Arc<rustls::ServerConfig>>,
    starttls_reply: Option<Action>,
    mail: Box<MailFn>,
    rcpt: Box<RcptFn>,
}

impl Default for Script {
    fn default() -> Script {
        Script::new()
    }
}

impl Script {
    /// A polite Postfix-like server: `220` banner, EHLO with PIPELINING,
    /// SIZE, ENHANCEDSTATUSCODES and 8BITMIME, `250` to MAIL FROM and
    /// `550 5.1.1` to every RCPT TO.
    pub fn new() -> Script {
        Script {
            name: "mx.alpha.test".into(),
            banner: Action::reply("220 mx.alpha.test ESMTP fake"),
            ehlo: None,
            extensions: [
                "PIPELINING",
                "SIZE 10240000",
                "ENHANCEDSTATUSCODES",
                "8BITMIME",
            ]
            .map(String::from)
            .to_vec(),
            helo: Action::reply("250 mx.alpha.test"),
            tls: None,
            starttls_reply: None,
            mail: Box::new(|_| Action::reply("250 2.1.0 Ok")),
            rcpt: Box::new(|r| {
                Action::reply(&format!(
                    "550 5.1.1 <{}>: Recipient address rejected: User unknown in local recipient table",
                    r.addr
                ))
            }),
        }
    }

    /// The greeting (or a hostile action instead).
    pub fn banner(mut self, action: Action) -> Script {
        self.banner = action;
        self
    }

    /// A fixed EHLO reply instead of the one built from the extensions
    /// (`500 …` forces the HELO fallback).
    pub fn ehlo(mut self, action: Action) -> Script {
        self.ehlo = Some(action);
        self
    }

    /// The EHLO extension lines (STARTTLS is added by [`Script::starttls`]).
    pub fn extensions(mut self, ext: &[&str]) -> Script {
        self.extensions = ext.iter().map(|s| s.to_string()).collect();
        self
    }

    /// The HELO reply.
    pub fn helo(mut self, action: Action) -> Script {
        self.helo = action;
        self
    }

    /// Offer STARTTLS, with a fresh self-signed certificate for the
    /// server's name.
    pub fn starttls(mut self) -> Script {
        self.tls = Some(Arc::new(tls_config(&self.name)));
        self
    }

    /// Answer STARTTLS with this action instead of `220` and a handshake
    /// (`reply_and_close("220 …")` breaks the handshake).
    pub fn starttls_reply(mut self, action: Action) -> Script {
        self.starttls_reply = Some(action);
        self
    }

    /// The reply to MAIL FROM.
    pub fn mail(mut self, f: impl Fn(&Mail) -> Action + Send + Sync + 'static) -> Script {
        self.mail = Box::new(f);
        self
    }

    /// The reply to RCPT TO.
    pub fn rcpt(mut self, f: impl Fn(&Rcpt) -> Action + Send + Sync + 'static) -> Script {
        self.rcpt = Box::new(f);
        self
    }

    fn ehlo_reply(&self, tls_active: bool) -> Action {
        if let Some(a) = &self.ehlo {
            return a.clone();
        }
        let mut lines = vec![self.name.clone()];
        lines.extend(self.extensions.iter().cloned());
        if self.tls.is_some() && !tls_active {
            lines.push("STARTTLS".into());
        }
        let n = lines.len();
        let text: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| format!("250{}{l}", if i + 1 == n { ' ' } else { '-' }))
            .collect();
        Action::reply(&text.join("\n"))
    }
}

fn tls_config(name: &str) -> rustls::ServerConfig {
    let ck = rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("self-signed cert");
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server certificate")
}

/// One command as received, and the code of the reply the server gave
/// (`None`: no reply, or not a complete one).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The line, without its line end (invalid UTF-8 decoded lossily).
    pub line: String,
    /// The reply code sent back.
    pub code: Option<u16>,
    /// The command arrived over TLS.
    pub tls: bool,
    /// More bytes were already waiting behind this line when it was read:
    /// the client pipelined (sent before it had this command's reply).
    pub pipelined: bool,
}

impl Entry {
    /// The command verb, upper-cased (`RCPT`).
    pub fn verb(&self) -> String {
        self.line
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase()
    }
}

/// What happened on one connection.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    /// Counting from 1, in accept order.
    pub id: usize,
    /// Every command line received, in order.
    pub entries: Vec<Entry>,
    /// TLS was negotiated.
    pub tls: bool,
    /// Protocol mistakes of the client (DATA, nested MAIL …).
    pub violations: Vec<String>,
    /// The connection has ended.
    pub closed: bool,
}

impl Conn {
    /// The command lines, in order.
    pub fn lines(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.line.clone()).collect()
    }

    /// The entries with this verb.
    pub fn with_verb(&self, verb: &str) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.verb() == verb).collect()
    }

    /// The addresses of the RCPT TO commands, lower-cased, in order.
    pub fn rcpts(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| rcpt_addr(&e.line))
            .collect()
    }

    /// The RCPT TO commands refused with a 5xx.
    pub fn rejected_rcpts(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.verb() == "RCPT" && e.code.is_some_and(|c| c >= 500))
            .count()
    }

    /// The transactions: the RCPT addresses after each MAIL FROM, up to the
    /// next MAIL, RSET or QUIT.
    pub fn transactions(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        let mut open = false;
        for e in &self.entries {
            match e.verb().as_str() {
                "MAIL" => {
                    out.push(Vec::new());
                    open = true;
                }
                "RSET" | "QUIT" | "EHLO" | "HELO" => open = false,
                "RCPT" if open => {
                    if let (Some(t), Some(a)) = (out.last_mut(), rcpt_addr(&e.line)) {
                        t.push(a);
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The address of a `RCPT TO:<…>` line, lower-cased.
pub fn rcpt_addr(line: &str) -> Option<String> {
    let upper = line.to_ascii_uppercase();
    if !upper.starts_with("RCPT TO:") {
        return None;
    }
    let rest = line["RCPT TO:".len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_ascii_lowercase())
}

/// The path of a `MAIL FROM:<…>` line.
pub fn mail_from(line: &str) -> Option<String> {
    let upper = line.to_ascii_uppercase();
    if !upper.starts_with("MAIL FROM:") {
        return None;
    }
    let rest = line["MAIL FROM:".len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

struct Shared {
    script: Script,
    stop: AtomicBool,
    next_id: AtomicUsize,
    active: AtomicUsize,
    conns: Mutex<Vec<Arc<Mutex<Conn>>>>,
    /// Clones of the open sockets, to shut them down on drop.
    sockets: Mutex<HashMap<usize, TcpStream>>,
    attempts: Mutex<HashMap<String, usize>>,
    handlers: Mutex<Vec<JoinHandle<()>>>,
}

/// Locks, ignoring poisoning (a panicking handler must not hide the log).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake SMTP server; stops when dropped.
pub struct FakeSmtp {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeSmtp {
    /// Starts serving `script` on `127.0.0.1:0`.
    pub fn start(script: Script) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            script,
            stop: AtomicBool::new(false),
            next_id: AtomicUsize::new(1),
            active: AtomicUsize::new(0),
            conns: Mutex::default(),
            sockets: Mutex::default(),
            attempts: Mutex::default(),
            handlers: Mutex::default(),
        });
        let s = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("fake-smtp-accept".into())
            .spawn(move || accept_loop(&s, &listener))
            .expect("spawn acceptor");
        FakeSmtp {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT`, for `--mx`.
    pub fn mx(&self) -> String {
        self.addr.to_string()
    }

    /// Connections accepted so far.
    pub fn connection_count(&self) -> usize {
        lock(&self.shared.conns).len()
    }

    /// A snapshot of every connection's log.
    pub fn conns(&self) -> Vec<Conn> {
        lock(&self.shared.conns)
            .iter()
            .map(|c| lock(c).clone())
            .collect()
    }

    /// Every RCPT TO address, over all connections, in arrival order per
    /// connection.
    pub fn rcpts(&self) -> Vec<String> {
        self.conns().iter().flat_map(Conn::rcpts).collect()
    }

    /// How many RCPT TO commands named `addr` (case-insensitive).
    pub fn rcpt_count(&self, addr: &str) -> usize {
        let addr = addr.to_ascii_lowercase();
        self.rcpts().iter().filter(|a| **a == addr).count()
    }

    /// Every protocol mistake noted, with its connection.
    pub fn violations(&self) -> Vec<String> {
        self.conns()
            .iter()
            .flat_map(|c| {
                c.violations
                    .iter()
                    .map(move |v| format!("conn {}: {v}", c.id))
            })
            .collect()
    }

    /// Waits (at most `max`) until every connection has ended: the client's
    /// last commands may still be in flight when it exits.
    pub fn settle(&self, max: Duration) -> bool {
        let deadline = Instant::now() + max;
        while Instant::now() < deadline {
            if self.shared.active.load(Ordering::SeqCst) == 0 {
                return true;
            }
            thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// The whole log, for assertion messages.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for c in self.conns() {
            let _ = writeln!(
                out,
                "-- connection {}{}{}",
                c.id,
                if c.tls { " (TLS)" } else { "" },
                if c.closed { "" } else { " (open)" }
            );
            for e in &c.entries {
                let code = e.code.map_or("---".to_string(), |c| c.to_string());
                let _ = writeln!(
                    out,
                    "   {}{}{code} <- {}",
                    if e.tls { "[tls] " } else { "" },
                    if e.pipelined { "[pipelined] " } else { "" },
                    e.line
                );
            }
            for v in &c.violations {
                let _ = writeln!(out, "   VIOLATION: {v}");
            }
        }
        if out.is_empty() {
            out.push_str("(no connections)\n");
        }
        out
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        for s in lock(&self.shared.sockets).values() {
            let _ = s.shutdown(Shutdown::Both);
        }
        let handlers = std::mem::take(&mut *lock(&self.shared.handlers));
        for h in handlers {
            let _ = h.join();
        }
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_nodelay(true);
                let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
                let log = Arc::new(Mutex::new(Conn {
                    id,
                    ..Conn::default()
                }));
                lock(&shared.conns).push(Arc::clone(&log));
                if let Ok(clone) = stream.try_clone() {
                    lock(&shared.sockets).insert(id, clone);
                }
                shared.active.fetch_add(1, Ordering::SeqCst);
                let s = Arc::clone(shared);
                let h = thread::Builder::new()
                    .name(format!("fake-smtp-{id}"))
                    .spawn(move || {
                        Handler::new(&s, id, log, stream).run();
                        s.active.fetch_sub(1, Ordering::SeqCst);
                    })
                    .expect("spawn handler");
                lock(&shared.handlers).push(h);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(2));
            }
            Err(_) => thread::sleep(Duration::from_millis(2)),
        }
    }
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// How a connection ends.
enum End {
    Close,
    Reset,
}

/// What to do after an action.
enum Flow {
    Go,
    Stop(End),
}

struct Handler<'a> {
    shared: &'a Shared,
    id: usize,
    log: Arc<Mutex<Conn>>,
    raw: TcpStream,
    io: Option<BufReader<Box<dyn Stream>>>,
    tls: bool,
    greeted: bool,
    /// EHLO/HELO is needed again (after STARTTLS).
    need_greeting: bool,
    refused: bool,
    in_tx: bool,
    /// The last greeting offered SMTPUTF8 (an EHLO reply naming it).
    smtputf8: bool,
    rcpts: usize,
    rejected: usize,
}

impl<'a> Handler<'a> {
    fn new(shared: &'a Shared, id: usize, log: Arc<Mutex<Conn>>, stream: TcpStream) -> Self {
        let raw = stream.try_clone().expect("clone socket");
        Handler {
            shared,
            id,
            log,
            raw,
            io: Some(BufReader::new(Box::new(stream))),
            tls: false,
            greeted: false,
            need_greeting: false,
            refused: false,
            in_tx: false,
            smtputf8: false,
            rcpts: 0,
            rejected: 0,
        }
    }

    fn run(mut self) {
        let end = self.serve();
        lock(&self.log).closed = true;
        // Forget the shutdown clone first: a reset needs this to be the
        // last descriptor of the socket.
        lock(&self.shared.sockets).remove(&self.id);
        match end {
            End::Reset => {
                let _ = socket2::SockRef::from(&self.raw).set_linger(Some(Duration::ZERO));
            }
            End::Close => {
                if let Some(io) = self.io.as_mut() {
                    let _ = io.get_mut().flush();
                }
                let _ = self.raw.shutdown(Shutdown::Write);
            }
        }
        drop(self.io.take());
        // `raw` drops with `self`: the socket closes (RST after a reset).
    }

    fn serve(&mut self) -> End {
        let banner = self.shared.script.banner.clone();
        self.refused = banner.code().is_some_and(|c| c >= 500);
        if let Flow::Stop(end) = self.perform(&banner) {
            return end;
        }
        loop {
            let Some(line) = self.read_line() else {
                return End::Close;
            };
            let verb = line
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let pipelined = self.io.as_ref().is_some_and(|io| !io.buffer().is_empty());
            let index = {
                let mut log = lock(&self.log);
                // A command over TLS: the handshake worked.
                log.tls |= self.tls;
                log.entries.push(Entry {
                    line: line.clone(),
                    code: None,
                    tls: self.tls,
                    pipelined,
                });
                log.entries.len() - 1
            };
            let (action, after) = self.decide(&verb, &line);
            if let Some(code) = action.code() {
                lock(&self.log).entries[index].code = Some(code);
            }
            if let Flow::Stop(end) = self.perform(&action) {
                return end;
            }
            match after {
                After::Nothing => {}
                After::Quit => return End::Close,
                After::StartTls => {
                    if !self.upgrade() {
                        return End::Close;
                    }
                }
            }
        }
    }

    fn violation(&self, what: String) {
        lock(&self.log).violations.push(what);
    }

    fn decide(&mut self, verb: &str, line: &str) -> (Action, After) {
        let script = &self.shared.script;
        if self.refused && verb != "QUIT" {
            return (
                Action::reply("503 5.5.1 No SMTP service here"),
                After::Nothing,
            );
        }
        if self.need_greeting && !matches!(verb, "EHLO" | "HELO" | "QUIT") {
            self.violation(format!("{line:?} after STARTTLS before a new EHLO"));
        }
        match verb {
            "EHLO" => {
                let a = script.ehlo_reply(self.tls);
                if a.code().is_some_and(|c| c / 100 == 2) {
                    self.greeted = true;
                    self.need_greeting = false;
                    self.smtputf8 = a.offers("SMTPUTF8");
                }
                self.in_tx = false;
                (a, After::Nothing)
            }
            "HELO" => {
                let a = script.helo.clone();
                if a.code().is_some_and(|c| c / 100 == 2) {
                    self.greeted = true;
                    self.need_greeting = false;
                    self.smtputf8 = false;
                }
                self.in_tx = false;
                (a, After::Nothing)
            }
            "STARTTLS" => {
                if script.tls.is_none() || self.tls {
                    self.violation("STARTTLS where it was not offered".into());
                    (Action::reply("454 4.7.0 TLS not available"), After::Nothing)
                } else if let Some(a) = &script.starttls_reply {
                    (a.clone(), After::Nothing)
                } else {
                    (
                        Action::reply("220 2.0.0 Ready to start TLS"),
                        After::StartTls,
                    )
                }
            }
            "MAIL" => {
                if !self.greeted {
                    self.violation(format!("{line:?} before EHLO/HELO"));
                    return (
                        Action::reply("503 5.5.1 Error: send HELO/EHLO first"),
                        After::Nothing,
                    );
                }
                if self.in_tx {
                    self.violation(format!("{line:?} inside a transaction (no RSET)"));
                    return (
                        Action::reply("503 5.5.1 Error: nested MAIL command"),
                        After::Nothing,
                    );
                }
                let from = mail_from(line).unwrap_or_default();
                let a = (script.mail)(&Mail {
                    from,
                    conn: self.id,
                });
                if a.code().is_some_and(|c| c / 100 == 2) {
                    self.in_tx = true;
                }
                (a, After::Nothing)
            }
            "RCPT" => {
                if !self.in_tx {
                    // Legal with PIPELINING after a refused MAIL; not logged
                    // as a violation.
                    return (
                        Action::reply("503 5.5.1 Error: need MAIL command"),
                        After::Nothing,
                    );
                }
                if !line.is_ascii() && !self.smtputf8 {
                    // RFC 6531 §3.4: a UTF-8 address needs SMTPUTF8 offered.
                    self.violation(format!("{line:?} without SMTPUTF8 offered"));
                }
                let addr = rcpt_addr(line).unwrap_or_default();
                let attempt = {
                    let mut m = lock(&self.shared.attempts);
                    let n = m.entry(addr.clone()).or_insert(0);
                    *n += 1;
                    *n
                };
                self.rcpts += 1;
                let a = (script.rcpt)(&Rcpt {
                    addr,
                    attempt,
                    conn: self.id,
                    nth_in_conn: self.rcpts,
                    rejected_in_conn: self.rejected,
                });
                if a.code().is_some_and(|c| c >= 500) {
                    self.rejected += 1;
                }
                (a, After::Nothing)
            }
            "RSET" => {
                self.in_tx = false;
                (Action::reply("250 2.0.0 Ok"), After::Nothing)
            }
            "NOOP" => (Action::reply("250 2.0.0 Ok"), After::Nothing),
            "QUIT" => (Action::reply("221 2.0.0 Bye"), After::Quit),
            "DATA" | "BDAT" => {
                self.violation(format!("{line:?}: the probe must never send DATA"));
                (
                    Action::reply("554 5.5.1 Error: this fake never takes DATA"),
                    After::Nothing,
                )
            }
            _ => (
                Action::reply("502 5.5.2 Error: command not recognized"),
                After::Nothing,
            ),
        }
    }

    /// One command line; `None` at EOF or on an error.
    fn read_line(&mut self) -> Option<String> {
        let io = self.io.as_mut()?;
        let mut buf = Vec::new();
        // A command line is short; a client that sends megabytes without a
        // line end is not one we test, but stay bounded anyway.
        match io.by_ref().take(64 * 1024).read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                Some(String::from_utf8_lossy(line).into_owned())
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> bool {
        let Some(io) = self.io.as_mut() else {
            return false;
        };
        let w = io.get_mut();
        w.write_all(bytes).is_ok() && w.flush().is_ok()
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    fn perform(&mut self, action: &Action) -> Flow {
        match action {
            Action::Reply(b) => {
                if self.write(b) {
                    Flow::Go
                } else {
                    Flow::Stop(End::Close)
                }
            }
            Action::ReplyAndClose(b) => {
                self.write(b);
                Flow::Stop(End::Close)
            }
            Action::SendAndReset(b) => {
                self.write(b);
                // Let the bytes leave before the RST overtakes them.
                thread::sleep(Duration::from_millis(50));
                Flow::Stop(End::Reset)
            }
            Action::SendAndHang(b) => {
                if !b.is_empty() && !self.write(b) {
                    return Flow::Stop(End::Close);
                }
                // Log whatever the client says, answer nothing, until it
                // closes (or the server is dropped: the socket is shut down).
                while let Some(line) = self.read_line() {
                    lock(&self.log).entries.push(Entry {
                        line,
                        code: None,
                        tls: self.tls,
                        pipelined: false,
                    });
                }
                Flow::Stop(End::Close)
            }
            Action::Close => Flow::Stop(End::Close),
            Action::Drip { bytes, every } => {
                if bytes.is_empty() {
                    return Flow::Stop(End::Close);
                }
                // Writes fail soon after the client closes (RST).
                for &b in bytes.iter().cycle() {
                    if self.stopping() || !self.write(&[b]) {
                        break;
                    }
                    let until = Instant::now() + *every;
                    while Instant::now() < until && !self.stopping() {
                        thread::sleep(Duration::from_millis(5));
                    }
                }
                Flow::Stop(End::Close)
            }
            Action::Endless(line) => {
                let mut chunk = Vec::with_capacity(line.len() * 64);
                for _ in 0..64 {
                    chunk.extend_from_slice(line);
                }
                while !self.stopping() && self.write(&chunk) {}
                Flow::Stop(End::Close)
            }
        }
    }

    /// Replaces the plain stream by a TLS one; false if that failed.
    fn upgrade(&mut self) -> bool {
        let Some(cfg) = self.shared.script.tls.clone() else {
            return false;
        };
        let Some(io) = self.io.take() else {
            return false;
        };
        if !io.buffer().is_empty() {
            self.violation("plaintext pipelined after STARTTLS (discarded)".into());
        }
        let inner = io.into_inner();
        let Ok(conn) = rustls::ServerConnection::new(cfg) else {
            return false;
        };
        let tls: Box<dyn Stream> = Box::new(rustls::StreamOwned::new(conn, inner));
        self.io = Some(BufReader::new(tls));
        self.tls = true;
        self.greeted = false;
        self.need_greeting = true;
        self.in_tx = false;
        true
    }
}

/// What follows the reply.
enum After {
    Nothing,
    Quit,
    StartTls,
}
