//! One SMTP session over a [`Conn`]: the runtime half of
//! `prebounce_smtp::Client`. The machine decides every command and what
//! each reply means for the dialogue; this file only moves its bytes,
//! runs the TLS handshake when it asks, and keeps the deadlines.

use prebounce_core::{Reply, Stage};
use prebounce_smtp::{Client, Event, Extensions};
use tokio::time::{Duration, Instant};

use super::conn::{Conn, ConnError};

/// The answers to one group of recipients.
pub type GroupAnswer = prebounce_smtp::GroupAnswer<ConnError>;

/// How a session ended before it could ask anything.
#[derive(Debug)]
pub enum OpenError {
    /// The server answered, but refused the session (a 4xx/5xx banner, EHLO
    /// and HELO refused).
    Refused {
        /// The command the refusal answers.
        stage: Stage,
        /// The reply.
        reply: Reply,
        /// TLS was in use.
        tls: bool,
    },
    /// The connection failed; `answered` when the server had said anything.
    Failed {
        /// What failed.
        error: ConnError,
        /// The server had sent at least its banner.
        answered: bool,
        /// TLS was in use.
        tls: bool,
    },
}

/// An open session, greeted and ready for transactions.
pub struct Session {
    conn: Conn,
    client: Client<ConnError>,
}

/// Settings for opening a session.
#[derive(Debug, Clone)]
pub struct Greeting<'a> {
    /// The MX host name (for TLS's server name).
    pub host: &'a str,
    /// The EHLO name.
    pub helo: &'a str,
    /// Upgrade with STARTTLS when offered.
    pub starttls: bool,
}

/// How long a QUIT waits for its answer.
const QUIT_WAIT: Duration = Duration::from_secs(2);

impl Session {
    /// Reads the banner and greets (upgrading to TLS where offered), by
    /// `deadline`.
    pub async fn open(
        conn: Conn,
        greeting: &Greeting<'_>,
        deadline: Instant,
    ) -> Result<Session, OpenError> {
        let mut conn = conn;
        let mut client = Client::new(greeting.helo, greeting.starttls);
        loop {
            match drive(&mut conn, &mut client, deadline).await {
                Event::Opened => return Ok(Session { conn, client }),
                Event::StartTls => match conn.start_tls(greeting.host, deadline).await {
                    Ok(tls) => {
                        conn = tls;
                        client.tls_established();
                    }
                    Err(e) => {
                        client.broken(e);
                        // The machine answers a failed handshake at once.
                        let event = client.poll().unwrap_or(Event::Closed);
                        return Err(failure(event, &client));
                    }
                },
                Event::Refused { stage, reply, tls } => {
                    if client.is_quitting() {
                        let by = Instant::now() + QUIT_WAIT;
                        drive(&mut conn, &mut client, by).await;
                    }
                    return Err(OpenError::Refused { stage, reply, tls });
                }
                event => return Err(failure(event, &client)),
            }
        }
    }

    /// The session runs over TLS.
    pub fn tls(&self) -> bool {
        self.client.tls()
    }

    /// What the server offered in its EHLO reply (none after HELO).
    pub fn extensions(&self) -> Extensions {
        self.client.extensions()
    }

    /// Replies 4xx/5xx received so far.
    pub fn errors(&self) -> usize {
        self.client.errors()
    }

    /// Recipients asked in the open transaction (0 when none is open).
    pub fn rcpts_in_transaction(&self) -> usize {
        self.client.rcpts_in_transaction()
    }

    /// Asks about `rcpts` (already in their ASCII or UTF-8 wire form) with
    /// MAIL FROM `from` (empty for `<>`); see `Client::ask`. Bounded by
    /// `deadline`.
    pub async fn ask(
        &mut self,
        from: &str,
        smtputf8: bool,
        rcpts: &[String],
        new_transaction: bool,
        deadline: Instant,
    ) -> Result<GroupAnswer, ConnError> {
        if !self.client.ask(from, smtputf8, rcpts, new_transaction) {
            return Err(ConnError::Closed);
        }
        match drive(&mut self.conn, &mut self.client, deadline).await {
            Event::Answer(answer) => answer,
            _ => Err(ConnError::Closed),
        }
    }

    /// Says QUIT and waits briefly for the answer; errors don't matter here.
    pub async fn quit(mut self) {
        self.client.quit();
        if self.client.is_quitting() {
            let by = Instant::now() + QUIT_WAIT;
            drive(&mut self.conn, &mut self.client, by).await;
        }
    }
}

/// Why a session did not open, from the machine's event.
fn failure(event: Event<ConnError>, client: &Client<ConnError>) -> OpenError {
    match event {
        Event::Failed {
            error,
            answered,
            tls,
        } => OpenError::Failed {
            error,
            answered,
            tls,
        },
        Event::Refused { stage, reply, tls } => OpenError::Refused { stage, reply, tls },
        // Not events of an opening session.
        Event::Opened | Event::StartTls | Event::Answer(_) | Event::Closed => OpenError::Failed {
            error: ConnError::Closed,
            answered: true,
            tls: client.tls(),
        },
    }
}

/// Moves bytes for the machine until it has an event: writes what it
/// wrote, reads while it waits for a reply, and reports failures (by
/// `deadline`) back to it.
async fn drive(
    conn: &mut Conn,
    client: &mut Client<ConnError>,
    deadline: Instant,
) -> Event<ConnError> {
    loop {
        let out = client.take_output();
        if !out.is_empty() {
            if let Err(e) = conn.send(&out, deadline).await {
                client.send_failed(e);
            }
        }
        if let Some(event) = client.poll() {
            return event;
        }
        if !client.wants_read() {
            // Nothing to send, nothing due: the dialogue is over.
            return Event::Closed;
        }
        match conn.read(deadline).await {
            Ok(bytes) => client.receive(bytes),
            Err(e) => client.broken(e),
        }
    }
}
