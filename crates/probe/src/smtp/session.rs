//! One SMTP session, from greeting to QUIT: banner, EHLO (HELO if refused),
//! STARTTLS where offered, then transactions of `MAIL FROM` and many
//! `RCPT TO`, pipelined where the server offers PIPELINING (RFC 2920).
//! Never DATA.

use prebounce_core::{Reply, Stage};
use tokio::time::{timeout_at, Duration, Instant};

use super::conn::{Conn, ConnError};

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
}

/// An open session, greeted and ready for transactions.
pub struct Session {
    conn: Conn,
    ext: Extensions,
    /// Replies 4xx/5xx received so far (servers count these; Postfix slows
    /// down after 10 and hangs up after 20).
    pub errors: usize,
    /// Recipients asked in the open transaction, if one is open.
    txn: Option<usize>,
}

/// The answers to one group of recipients.
#[derive(Debug)]
pub enum GroupAnswer {
    /// The replies to the recipients, in order; fewer than asked when the
    /// connection broke (`broken` says how).
    Rcpt {
        /// One reply per recipient answered, in order.
        replies: Vec<Reply>,
        /// Why the rest got no reply.
        broken: Option<ConnError>,
    },
    /// MAIL FROM was refused: the reply stands for every recipient.
    MailRefused(Reply),
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

impl Session {
    /// Reads the banner and greets (upgrading to TLS where offered), by
    /// `deadline`.
    pub async fn open(
        conn: Conn,
        greeting: &Greeting<'_>,
        deadline: Instant,
    ) -> Result<Session, OpenError> {
        let mut conn = conn;
        let failed = |error, answered, tls| OpenError::Failed {
            error,
            answered,
            tls,
        };
        let banner = conn
            .read_reply(deadline)
            .await
            .map_err(|e| failed(e, false, false))?;
        if !banner.is_positive() {
            // RFC 5321 §3.1: after a 554 greeting the client should QUIT.
            if banner.code != 421 {
                say_quit(&mut conn).await;
            }
            return Err(OpenError::Refused {
                stage: Stage::Banner,
                reply: banner,
                tls: false,
            });
        }
        let mut ext = hello(&mut conn, greeting.helo, deadline).await?;
        if ext.starttls && greeting.starttls {
            conn.send(b"STARTTLS\r\n", deadline)
                .await
                .map_err(|e| failed(e, true, false))?;
            let reply = conn
                .read_reply(deadline)
                .await
                .map_err(|e| failed(e, true, false))?;
            if reply.code == 220 {
                conn = conn
                    .start_tls(greeting.host, deadline)
                    .await
                    .map_err(|e| failed(e, true, false))?;
                ext = hello(&mut conn, greeting.helo, deadline).await?;
            } else if reply.code == 421 {
                return Err(OpenError::Refused {
                    stage: Stage::Other,
                    reply,
                    tls: false,
                });
            }
        }
        Ok(Session {
            conn,
            ext,
            errors: 0,
            txn: None,
        })
    }

    /// The session runs over TLS.
    pub fn tls(&self) -> bool {
        self.conn.tls
    }

    /// Recipients asked in the open transaction (0 when none is open).
    pub fn rcpts_in_transaction(&self) -> usize {
        self.txn.unwrap_or(0)
    }

    /// Asks about `rcpts` (already in their ASCII or UTF-8 wire form) with
    /// MAIL FROM `from` (empty for `<>`), opening a transaction if none is
    /// open and starting a new one (RSET first) when `new_transaction`.
    /// Pipelined when the server offers it. Bounded by `deadline`.
    pub async fn ask(
        &mut self,
        from: &str,
        smtputf8: bool,
        rcpts: &[String],
        new_transaction: bool,
        deadline: Instant,
    ) -> Result<GroupAnswer, ConnError> {
        let rset = new_transaction && self.txn.is_some();
        if rset {
            self.txn = None;
        }
        let mail = self.txn.is_none();
        let mut commands: Vec<Vec<u8>> = Vec::with_capacity(rcpts.len() + 2);
        if rset {
            commands.push(b"RSET\r\n".to_vec());
        }
        if mail {
            let utf8 = if smtputf8 && self.ext.smtputf8 {
                " SMTPUTF8"
            } else {
                ""
            };
            commands.push(format!("MAIL FROM:<{from}>{utf8}\r\n").into_bytes());
        }
        for r in rcpts {
            commands.push(format!("RCPT TO:<{r}>\r\n").into_bytes());
        }
        let mut broken = None;
        let mut replies = Vec::with_capacity(commands.len());
        if self.ext.pipelining {
            self.conn.send(&commands.concat(), deadline).await?;
            for _ in 0..commands.len() {
                match self.conn.read_reply(deadline).await {
                    Ok(r) => replies.push(r),
                    Err(e) => {
                        broken = Some(e);
                        break;
                    }
                }
            }
        } else {
            for (i, c) in commands.iter().enumerate() {
                let reply = match self.conn.send(c, deadline).await {
                    Ok(()) => self.conn.read_reply(deadline).await,
                    Err(e) => Err(e),
                };
                let reply = match reply {
                    Ok(r) => r,
                    Err(e) => {
                        broken = Some(e);
                        break;
                    }
                };
                let is_mail = mail && i == usize::from(rset);
                let stop = is_mail && !reply.is_positive();
                replies.push(reply);
                if stop {
                    break;
                }
            }
        }
        let mut replies = replies.into_iter();
        let fail = |broken: Option<ConnError>| broken.unwrap_or(ConnError::Closed);
        if rset {
            // An RSET refusal changes nothing for the recipients.
            match replies.next() {
                Some(r) => self.count(&r),
                None => return Err(fail(broken)),
            }
        }
        if mail {
            let Some(reply) = replies.next() else {
                return Err(fail(broken));
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

    /// Says QUIT and waits briefly for the answer; errors don't matter here.
    pub async fn quit(mut self) {
        say_quit(&mut self.conn).await;
    }
}

/// QUIT, and a short wait for its answer (at most 2 s; errors ignored).
async fn say_quit(conn: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(2);
    if conn.send(b"QUIT\r\n", deadline).await.is_ok() {
        let _ = timeout_at(deadline, conn.read_reply(deadline)).await;
    }
}

/// EHLO, or HELO when EHLO is refused as unknown.
async fn hello(conn: &mut Conn, name: &str, deadline: Instant) -> Result<Extensions, OpenError> {
    let tls = conn.tls;
    let failed = |error| OpenError::Failed {
        error,
        answered: true,
        tls,
    };
    conn.send(format!("EHLO {name}\r\n").as_bytes(), deadline)
        .await
        .map_err(failed)?;
    let reply = conn.read_reply(deadline).await.map_err(failed)?;
    if reply.is_positive() {
        return Ok(Extensions::parse(&reply));
    }
    if reply.code == 421 || reply.is_transient() {
        return Err(OpenError::Refused {
            stage: Stage::Ehlo,
            reply,
            tls,
        });
    }
    conn.send(format!("HELO {name}\r\n").as_bytes(), deadline)
        .await
        .map_err(failed)?;
    let reply = conn.read_reply(deadline).await.map_err(failed)?;
    if reply.is_positive() {
        Ok(Extensions::default())
    } else {
        if reply.code != 421 {
            say_quit(conn).await;
        }
        Err(OpenError::Refused {
            stage: Stage::Ehlo,
            reply,
            tls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
