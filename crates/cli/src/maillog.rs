//! Our own MTA's log (Postfix) as bounces: each `status=bounced` delivery
//! line, and each recipient still deferred when its message expired
//! (`status=expired, returned to sender`), joined by queue ID with the
//! message's Message-ID. Core reads the lines (`bounce::postfix_log`); this
//! module keeps the joins, bounded, as the log streams past.

use std::collections::HashMap;
use std::io::{self, BufRead};

use prebounce_core::bounce::postfix_log::{self, DeliveryStatus, Event, LogLine, MAX_LINE_BYTES};
use prebounce_core::bounce::Bounce;
use prebounce_core::time::StoreTime;

use crate::lines::BoundedLines;

/// Queue IDs whose lines are joined, at most (here and in `sent`): a log
/// may be endless and a message's last line may never come.
pub const MAX_QUEUE_IDS: usize = 100_000;

/// Deferred recipients kept per queue ID, at most.
const MAX_DEFERRED: usize = 1_000;

/// One bounce our MTA logged.
#[derive(Debug)]
pub struct LogBounce {
    /// The line it comes from: `path:N`.
    pub label: String,
    /// The stored event's report key: the queue ID and the line's time, so
    /// that the same log read again stores nothing twice.
    pub key: String,
    /// The record.
    pub record: Bounce,
    /// When the line was logged.
    pub date: Option<String>,
}

/// The bounces of a Postfix log, in log order; an I/O error ends them.
pub struct Bounces<R> {
    lines: BoundedLines<R>,
    label: String,
    reference: StoreTime,
    message_ids: HashMap<String, String>,
    /// Per queue ID: the last deferral of each recipient (line number, line).
    deferred: HashMap<String, Vec<(u64, LogLine)>>,
    ready: std::collections::VecDeque<LogBounce>,
}

impl<R: BufRead> Bounces<R> {
    /// The bounces of the log in `reader` (named `label`); `reference`
    /// dates year-less timestamps.
    pub fn new(reader: R, label: String, reference: StoreTime) -> Bounces<R> {
        Bounces {
            lines: BoundedLines::new(reader, MAX_LINE_BYTES),
            label,
            reference,
            message_ids: HashMap::new(),
            deferred: HashMap::new(),
            ready: std::collections::VecDeque::new(),
        }
    }

    fn bounce(&self, n: u64, line: &LogLine, record: Option<Bounce>) -> Option<LogBounce> {
        let mut record = record?;
        record.original_message_id = self.message_ids.get(&line.queue_id).cloned();
        let date = line.at.map(|t| t.to_string());
        Some(LogBounce {
            label: format!("{}:{n}", self.label),
            key: format!(
                "postfix:{}@{}",
                line.queue_id,
                date.as_deref().unwrap_or("")
            ),
            record,
            date,
        })
    }

    fn read(&mut self, n: u64, line: LogLine) {
        match &line.event {
            Event::MessageId(id) => {
                if self.message_ids.len() >= MAX_QUEUE_IDS {
                    self.message_ids.clear();
                }
                self.message_ids.insert(line.queue_id.clone(), id.clone());
            }
            Event::Delivery(d) => match d.status {
                DeliveryStatus::Bounced => {
                    let b = self.bounce(n, &line, line.bounce());
                    self.ready.extend(b);
                }
                DeliveryStatus::Deferred => {
                    if self.deferred.len() >= MAX_QUEUE_IDS
                        && !self.deferred.contains_key(&line.queue_id)
                    {
                        self.deferred.clear();
                    }
                    let to = d.to.clone();
                    let list = self.deferred.entry(line.queue_id.clone()).or_default();
                    list.retain(|(_, l)| !matches!(&l.event, Event::Delivery(x) if x.to == to));
                    if list.len() < MAX_DEFERRED {
                        list.push((n, line));
                    }
                }
                // Delivered after all, or handed on: no longer pending.
                _ => {
                    if let Some(list) = self.deferred.get_mut(&line.queue_id) {
                        list.retain(
                            |(_, l)| !matches!(&l.event, Event::Delivery(x) if x.to == d.to),
                        );
                    }
                }
            },
            Event::Expired { .. } => {
                for (n, deferral) in self.deferred.remove(&line.queue_id).unwrap_or_default() {
                    let b = self.bounce(n, &deferral, deferral.bounce_on_expiry());
                    self.ready.extend(b);
                }
            }
            Event::Queued { .. } | Event::Notified { .. } => {}
        }
    }
}

impl<R: BufRead> Iterator for Bounces<R> {
    type Item = io::Result<LogBounce>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.ready.pop_front() {
                return Some(Ok(b));
            }
            let (n, bytes) = match self.lines.next()? {
                Ok(line) => line,
                Err(e) => return Some(Err(e)),
            };
            let Some(bytes) = bytes else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            if let Some(line) = postfix_log::parse_line(&text, self.reference) {
                self.read(n, line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(log: &str) -> Vec<LogBounce> {
        let now = StoreTime::parse("2026-12-08T12:00:00Z").unwrap();
        Bounces::new(log.as_bytes(), "mail.log".into(), now)
            .map(Result::unwrap)
            .collect()
    }

    const QUEUED: &str = "\
2026-12-08T03:09:41.123456+00:00 out postfix/cleanup[813]: 4F2A41C0B2: message-id=<m9@sender.example>
";

    #[test]
    fn a_bounced_line_is_a_bounce_with_its_message_id() {
        let log = format!(
            "{QUEUED}2026-12-08T03:09:43.200000+00:00 out postfix/smtp[815]: 4F2A41C0B2: to=<gone@receiver.example>, relay=mx.receiver.example[192.0.2.10]:25, delay=2.1, delays=0.01/0/1/1, dsn=5.1.1, status=bounced (host mx.receiver.example[192.0.2.10] said: 550 5.1.1 <gone@receiver.example>: Recipient address rejected: User unknown (in reply to RCPT TO command))\n"
        );
        let got = read(&log);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].label, "mail.log:2");
        assert_eq!(got[0].key, "postfix:4F2A41C0B2@2026-12-08T03:09:43Z");
        assert_eq!(got[0].record.recipient, "gone@receiver.example");
        assert_eq!(got[0].record.reason.as_str(), "does_not_exist");
        assert_eq!(
            got[0].record.original_message_id.as_deref(),
            Some("m9@sender.example")
        );
    }

    #[test]
    fn a_recipient_still_deferred_when_its_message_expires_bounces_as_its_last_deferral_says() {
        let deferred = |t: &str, to: &str, said: &str| {
            format!("2026-12-0{t} out postfix/smtp[815]: 4F2A41C0B2: to=<{to}>, relay=mx.receiver.example[192.0.2.10]:25, delay=9, delays=0/0/1/8, dsn=4.2.2, status=deferred (host mx.receiver.example[192.0.2.10] said: {said} (in reply to RCPT TO command))\n")
        };
        let log = format!(
            "{QUEUED}{}{}{}{}\
2026-12-08T03:09:50+00:00 out postfix/smtp[815]: 4F2A41C0B2: to=<late@receiver.example>, relay=mx.receiver.example[192.0.2.10]:25, delay=9, delays=0/0/1/8, dsn=2.0.0, status=sent (250 2.0.0 Ok)
2026-12-08T05:00:00+00:00 out postfix/qmgr[814]: 4F2A41C0B2: from=<news@sender.example>, status=expired, returned to sender
",
            deferred("7T03:09:43+00:00", "full@receiver.example", "452 4.2.2 Mailbox full"),
            deferred("7T04:09:43+00:00", "full@receiver.example", "452 4.2.2 Over quota"),
            deferred("7T04:09:44+00:00", "late@receiver.example", "451 4.3.0 Try later"),
            deferred("7T04:09:45+00:00", "gone@other.example", "450 4.7.1 Greylisted"),
        );
        let got = read(&log);
        let who: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|b| {
                (
                    b.record.recipient.as_str(),
                    b.record.reason.as_str(),
                    b.label.as_str(),
                )
            })
            .collect();
        assert_eq!(
            who,
            [
                ("full@receiver.example", "mailbox_full", "mail.log:3"),
                ("gone@other.example", "temporary_failure", "mail.log:5"),
            ],
            "{got:?}"
        );
        assert!(got
            .iter()
            .all(|b| b.record.kind == prebounce_core::bounce::Kind::Soft));
    }
}
