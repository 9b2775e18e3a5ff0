//! What the probe asks over a session, and what the answers mean for the
//! addresses waiting at one domain. Pure decisions; the engine holds the
//! queue and applies them.
//!
//! - **Group size** ([`next_group`]): as many recipients as the server's
//!   error budget (`errors_per_session` minus the 4xx/5xx replies so far)
//!   and the transaction's room allow, at most [`MAX_GROUP`]; a new
//!   transaction (RSET) when the room is used up.
//! - **The catch-all question** ([`CatchAll`], [`recipients`]): a random
//!   local part at the domain, asked once per domain (twice if unanswered),
//!   in the first group big enough, right after the first real address:
//!   some servers refuse every RCPT after the first.
//! - **Settling a group** ([`settle`]): each address gets its answer, a
//!   retry, or its place back. A 421 ends the session and the address gets
//!   another session; when the connection breaks mid-group, the first
//!   address without a reply is the one it broke on (one try used), and
//!   the ones pipelined after it were never looked at (they go first in
//!   the next session, without losing a try); a refused MAIL FROM is the
//!   answer for the group, and when permanent, for every queued address.
//! - **Who may be asked** ([`screen`]): an address that needs SMTPUTF8 is
//!   never sent to a server that did not offer it (RFC 6531); it is
//!   answered `smtp_unavailable` instead, and the rest of its group is
//!   asked as usual.

use prebounce_core::outcome::SmtpOutcome;
use prebounce_core::{Reply, Stage};

use crate::{Extensions, GroupAnswer};

/// The most recipients pipelined in one write.
pub const MAX_GROUP: usize = 50;
/// Attempts at an address whose session broke before it was answered.
pub const MAX_TRIES: u8 = 2;
/// Attempts at the catch-all question per domain.
pub const MAX_CATCH_ALL_TRIES: u8 = 2;

/// The limits a session keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// 4xx/5xx replies a session may draw before a new connection.
    pub errors_per_session: usize,
    /// Recipients per transaction before RSET.
    pub rcpts_per_transaction: usize,
    /// Several addresses per session (false: one address per connection).
    pub session_reuse: bool,
}

/// The catch-all question for one domain during a run (shared by the
/// domain's sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchAll {
    /// Not known; asked `tries` times so far.
    Unknown {
        /// Times asked.
        tries: u8,
    },
    /// A session is asking it now.
    Asking {
        /// Times asked, this one included.
        tries: u8,
    },
    /// The answer: the domain accepts any local part.
    Known(bool),
}

impl CatchAll {
    /// Takes the question for a group of `size` recipients when it is still
    /// open and the group has room for it and a real address.
    pub fn take(&mut self, size: usize) -> bool {
        match *self {
            CatchAll::Unknown { tries } if tries < MAX_CATCH_ALL_TRIES && size >= 2 => {
                *self = CatchAll::Asking { tries: tries + 1 };
                true
            }
            _ => false,
        }
    }

    /// The random address's reply (`None`: it got none): 2xx means catch-all,
    /// 5xx means not; anything else leaves the question open.
    pub fn record(&mut self, reply: Option<&Reply>) {
        let tries = match *self {
            CatchAll::Asking { tries } | CatchAll::Unknown { tries } => tries,
            CatchAll::Known(_) => return,
        };
        *self = match reply {
            Some(r) if r.is_positive() => CatchAll::Known(true),
            Some(r) if r.is_permanent() => CatchAll::Known(false),
            _ => CatchAll::Unknown { tries },
        };
    }

    /// The question was taken but never answered: open it again.
    pub fn unanswered(&mut self) {
        if let CatchAll::Asking { tries } = *self {
            *self = CatchAll::Unknown { tries };
        }
    }

    /// The answer, once known.
    pub fn known(&self) -> Option<bool> {
        match *self {
            CatchAll::Known(b) => Some(b),
            _ => None,
        }
    }
}

/// The shape of the next group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupPlan {
    /// Real addresses to take from the queue, at most.
    pub size: usize,
    /// RSET first: the transaction's room is used up.
    pub new_transaction: bool,
    /// The catch-all question goes with this group ([`recipients`]).
    pub catch_all: bool,
}

/// The next group for a session that has drawn `errors` error replies and
/// has `rcpts_in_transaction` recipients in its open transaction; `None`
/// when the session should end (its error budget is spent, or it may ask
/// only once and has). Takes the catch-all question when the group has
/// room for it.
pub fn next_group(
    limits: &Limits,
    errors: usize,
    rcpts_in_transaction: usize,
    asked_any: bool,
    catch_all: &mut CatchAll,
) -> Option<GroupPlan> {
    let budget = limits.errors_per_session.saturating_sub(errors);
    if budget == 0 || (!limits.session_reuse && asked_any) {
        return None;
    }
    let room = limits
        .rcpts_per_transaction
        .saturating_sub(rcpts_in_transaction);
    let new_transaction = room == 0;
    let room = if new_transaction {
        limits.rcpts_per_transaction
    } else {
        room
    };
    let mut size = budget.min(room).clamp(1, MAX_GROUP);
    let ask_catch_all = catch_all.take(size);
    if ask_catch_all {
        size -= 1;
    }
    if !limits.session_reuse {
        size = 1;
    }
    Some(GroupPlan {
        size,
        new_transaction,
        catch_all: ask_catch_all,
    })
}

/// The RCPT TO list of a group: its addresses, with the random address
/// (when asking the catch-all question) second.
pub fn recipients(addresses: &[&str], random: Option<&str>) -> Vec<String> {
    let mut rcpts: Vec<String> = addresses.iter().map(|a| (*a).to_owned()).collect();
    if let Some(r) = random {
        rcpts.insert(1.min(rcpts.len()), r.to_owned());
    }
    rcpts
}

/// Takes out of `group` the addresses this server may not be asked about
/// ([`Extensions::accepts`]: a UTF-8 address and no SMTPUTF8 in its EHLO
/// reply), each with its answer: `smtp_unavailable`, as no server could be
/// asked. Its refusal would be an answer about the command, not the
/// mailbox. The rest keep their order.
pub fn screen(
    mx: &str,
    tls: bool,
    ext: &Extensions,
    group: Vec<Pending>,
) -> (Vec<Pending>, Vec<(String, SmtpOutcome)>) {
    let (ask, refuse): (Vec<Pending>, Vec<Pending>) =
        group.into_iter().partition(|p| ext.accepts(&p.address));
    let refused = refuse
        .into_iter()
        .map(|p| {
            let outcome = SmtpOutcome::Unavailable {
                mx: Some(mx.to_owned()),
                answered: true,
                tls,
                detail: format!(
                    "{mx}: the mail server does not accept internationalized addresses \
                     (no SMTPUTF8 in its EHLO reply)"
                ),
            };
            (p.address, outcome)
        })
        .collect();
    (ask, refused)
}

/// An address waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The address.
    pub address: String,
    /// Sessions it broke (or ended) unanswered so far.
    pub tries: u8,
}

impl Pending {
    /// A new address, not tried yet.
    pub fn new(address: String) -> Pending {
        Pending { address, tries: 0 }
    }
}

/// How a connection broke, as far as the dialogue cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakage {
    /// A deadline passed: the server is too slow for one attempt, so it
    /// gets no second (the deadline bounds the address).
    pub timeout: bool,
    /// What went wrong, for the verdict's detail.
    pub detail: String,
}

/// What the engine does after a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// Addresses answered, with their outcome.
    pub answered: Vec<(String, SmtpOutcome)>,
    /// Addresses for another session, at the back of the queue.
    pub retry: Vec<Pending>,
    /// Addresses never looked at, to go back at the front of the queue, in
    /// this order.
    pub front: Vec<Pending>,
    /// The catch-all question was asked: the random address's reply
    /// (`Some(None)`: none came, or the group got no RCPT answers).
    pub catch_all: Option<Option<Reply>>,
    /// Every queued address gets this answer (a permanent refusal of our
    /// sender).
    pub answer_queue: Option<SmtpOutcome>,
    /// Whether the session got anywhere, for the domain's count of
    /// sessions in a row that broke before any answer.
    pub progress: Progress,
    /// What happens to the session.
    pub next: Next,
}

/// Whether a group got anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Addresses were answered, or nothing broke: the count starts again.
    Answered,
    /// The session broke before any address was answered (why).
    Fruitless(String),
    /// Neither: a refused MAIL FROM says nothing about the connection.
    Unchanged,
}

/// What happens to the session after a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Ask the next group.
    Continue,
    /// End it politely (QUIT).
    Quit,
    /// The server is closing or the connection is gone: drop it.
    Drop,
}

/// Settles a group: `group` in the order asked, `catch_all` when the random
/// address went second, `answer` what the session said, `breakage` how the
/// connection broke when it did (the runtime's error, described).
pub fn settle<E>(
    mx: &str,
    tls: bool,
    group: Vec<Pending>,
    catch_all: bool,
    answer: Result<GroupAnswer<E>, E>,
    breakage: impl Fn(&E) -> Breakage,
) -> Settled {
    let mut settled = Settled {
        answered: Vec::new(),
        retry: Vec::new(),
        front: Vec::new(),
        catch_all: None,
        answer_queue: None,
        progress: Progress::Unchanged,
        next: Next::Continue,
    };
    let answered = |stage: Stage, reply: Reply| SmtpOutcome::Answered {
        mx: mx.to_owned(),
        stage,
        reply,
        tls,
        catch_all: None,
    };
    let unavailable = |detail: &str| SmtpOutcome::Unavailable {
        mx: Some(mx.to_owned()),
        answered: true,
        tls,
        detail: detail.to_owned(),
    };
    match answer {
        Ok(GroupAnswer::Rcpt { replies, broken }) => {
            let mut closing = broken.is_some();
            let (may_retry, why) = match broken.as_ref().map(&breakage) {
                Some(b) => (!b.timeout, format!("{mx}: {}", b.detail)),
                None => (true, format!("{mx} sent fewer replies than commands")),
            };
            let mut replies = replies.into_iter();
            let mut blamed = false;
            // Addresses with a real answer (not a 421, not given up on).
            let mut replied = 0;
            for (i, p) in group.into_iter().enumerate() {
                let reply = replies.next();
                if i == 0 && catch_all {
                    settled.catch_all = Some(replies.next());
                }
                match reply {
                    Some(reply) if reply.code == 421 => {
                        // The server is closing: this address gets another
                        // session.
                        closing = true;
                        retry_or(&mut settled, p, true, || answered(Stage::RcptTo, reply));
                    }
                    Some(reply) => {
                        replied += 1;
                        settled
                            .answered
                            .push((p.address, answered(Stage::RcptTo, reply)));
                    }
                    // The first address without a reply is the one the
                    // server broke on; the ones pipelined after it were
                    // never looked at.
                    None if blamed => settled.front.push(p),
                    None => {
                        blamed = true;
                        retry_or(&mut settled, p, may_retry, || unavailable(&why));
                    }
                }
            }
            settled.progress = if replied == 0 && closing {
                Progress::Fruitless(why)
            } else {
                Progress::Answered
            };
            if closing {
                settled.next = Next::Drop;
            }
        }
        Ok(GroupAnswer::MailRefused(reply)) => {
            if catch_all {
                settled.catch_all = Some(None);
            }
            let permanent = reply.is_permanent();
            let outcome = answered(Stage::MailFrom, reply);
            for p in group {
                settled.answered.push((p.address, outcome.clone()));
            }
            if permanent {
                // Our sender is refused: so it is for every address here.
                settled.answer_queue = Some(outcome);
            }
            settled.next = Next::Quit;
        }
        Err(e) => {
            if catch_all {
                settled.catch_all = Some(None);
            }
            let b = breakage(&e);
            let detail = format!("{mx}: {}", b.detail);
            for p in group {
                retry_or(&mut settled, p, !b.timeout, || unavailable(&detail));
            }
            settled.progress = Progress::Fruitless(detail);
            // The connection's framing is lost: no QUIT.
            settled.next = Next::Drop;
        }
    }
    settled
}

/// Another try for `p` when `may_retry` and it has tries left; else its
/// `outcome`.
fn retry_or(
    settled: &mut Settled,
    mut p: Pending,
    may_retry: bool,
    outcome: impl FnOnce() -> SmtpOutcome,
) {
    p.tries += 1;
    if may_retry && p.tries < MAX_TRIES {
        settled.retry.push(p);
    } else {
        settled.answered.push((p.address, outcome()));
    }
}

#[cfg(test)]
mod tests;
