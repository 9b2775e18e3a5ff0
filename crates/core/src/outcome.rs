//! How DNS and SMTP outcomes deepen a verdict: the one place that merges what
//! the probe (or the edge worker) learned into a depth-`syntax` verdict.
//!
//! The rules:
//!
//! - Only verdicts that are not already `invalid` are worth a network check
//!   ([`needs_network`]); a syntax error, say, is final.
//! - DNS: a plan sets `depth` to `dns` and fills `dns`; a failure
//!   ([`MxFailure`]) does the same and escalates to its reason
//!   (`no_such_domain`, `null_mx`, `no_mail_server`, `dns_error`).
//! - SMTP: `depth` becomes `smtp` once a server answered anything; an MX that
//!   could not be reached, or that we refused to contact, leaves it where DNS
//!   left it (`dns`; `syntax` when the caller named the server) with
//!   `smtp_unavailable`. The reply to RCPT TO is classified by
//!   [`classify`](crate::reply::classify); a 2xx at a domain that also accepted
//!   a random address is `catch_all`.
//! - Reasons only ever escalate ([`Verdict::escalate`], DESIGN's order): a
//!   disposable address that the server accepts stays `disposable`; a typo
//!   whose mailbox does not exist becomes `does_not_exist`. `detail` is
//!   replaced only when the reason changed; `retry_after` is kept only when
//!   the final reason is `temporary_failure`.

use crate::mx::{MxFailure, MxPlan};
use crate::reply::{classify, Reply, Stage, MAX_LINE_KEPT};
use crate::verdict::{Depth, DnsInfo, Reason, SmtpInfo, Status, SuppressionInfo, Verdict};

/// The longest `smtp.reply` text kept, in bytes (on a character boundary).
pub const MAX_REPLY_TEXT: usize = 2 * MAX_LINE_KEPT;

/// Whether a verdict can still change with DNS and SMTP checks: everything but
/// `invalid` (a syntax error or a suppressed address is final).
pub fn needs_network(v: &Verdict) -> bool {
    v.status != Status::Invalid && v.domain.is_some()
}

/// Marks a verdict `invalid` / `suppressed` with its suppression record: the
/// address bounced or complained before, so no check may call it
/// deliverable. Only a syntax error outranks it.
pub fn apply_suppression(v: &mut Verdict, record: SuppressionInfo) {
    let detail = format!(
        "{} (first seen {}, {} time{}, from {})",
        record.reason,
        record.first_seen,
        record.count,
        if record.count == 1 { "" } else { "s" },
        record.source
    );
    if v.escalate(Reason::Suppressed) {
        v.detail = Some(detail);
        v.retry_after = None;
        // A suggestion stays: a mistyped address that bounced is exactly
        // where "did you mean" helps.
        v.suppression = Some(record);
    }
}

/// Records a successful MX plan: depth `dns`, the `dns` object filled in.
pub fn apply_plan(v: &mut Verdict, plan: &MxPlan) {
    apply_dns(v, plan.dns_info());
}

/// Records the `dns` object of a plan made elsewhere (the caller passed the
/// MX hosts it had already resolved).
pub fn apply_dns(v: &mut Verdict, dns: DnsInfo) {
    deepen(v, Depth::Dns);
    v.dns = Some(dns);
}

/// Records why the domain gets no plan: depth `dns`, its reason and detail.
pub fn apply_mx_failure(v: &mut Verdict, failure: &MxFailure) {
    deepen(v, Depth::Dns);
    v.dns = failure.dns.clone();
    escalate(v, failure.reason, Some(failure.detail.clone()), None);
}

/// What the SMTP step found for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpOutcome {
    /// A server answered; `reply` is the answer that decides the address (the
    /// reply to RCPT TO, or an earlier one that ended the attempt).
    Answered {
        /// The MX host that answered.
        mx: String,
        /// The command the reply answers.
        stage: Stage,
        /// The reply.
        reply: Reply,
        /// The session used STARTTLS.
        tls: bool,
        /// The domain accepted a random local part too (`None`: not known).
        catch_all: Option<bool>,
    },
    /// No server could be asked: every host failed to connect, timed out,
    /// broke the protocol, or was refused by the address-safety rules.
    Unavailable {
        /// The last host tried, if any.
        mx: Option<String>,
        /// A server said something before things went wrong.
        answered: bool,
        /// The session used STARTTLS before things went wrong.
        tls: bool,
        /// What went wrong, for people debugging (the verdict's `detail`).
        detail: String,
    },
}

/// Records the SMTP outcome for one address (see the module doc).
pub fn apply_smtp(v: &mut Verdict, outcome: &SmtpOutcome) {
    match outcome {
        SmtpOutcome::Answered {
            mx,
            stage,
            reply,
            tls,
            catch_all,
        } => {
            deepen(v, Depth::Smtp);
            let class = classify(*stage, reply);
            let accepted = class.reason == Reason::Ok && *stage == Stage::RcptTo;
            let is_catch_all = accepted && *catch_all == Some(true);
            v.smtp = Some(SmtpInfo {
                mx: mx.clone(),
                code: Some(reply.code),
                enhanced: reply.enhanced.map(|e| e.to_string()),
                reply: Some(bounded_text(reply)),
                catch_all: *catch_all == Some(true),
                tls: *tls,
            });
            let reason = if is_catch_all {
                Reason::CatchAll
            } else {
                class.reason
            };
            let detail = match (stage, reason) {
                (_, Reason::Ok) => None,
                (Stage::RcptTo, Reason::CatchAll) => {
                    Some(format!("{mx} accepts any address at this domain"))
                }
                (Stage::RcptTo, _) => Some(format!("{mx} answered RCPT TO with {}", reply.code)),
                (stage, _) => Some(format!(
                    "{mx} answered {} with {}",
                    stage_name(*stage),
                    reply.code
                )),
            };
            escalate(v, reason, detail, class.retry_after);
        }
        SmtpOutcome::Unavailable {
            mx,
            answered,
            tls,
            detail,
        } => {
            // No server answered: the depth stays where DNS (if any) left it.
            if *answered {
                deepen(v, Depth::Smtp);
                v.smtp = Some(SmtpInfo {
                    mx: mx.clone().unwrap_or_default(),
                    tls: *tls,
                    ..SmtpInfo::default()
                });
            }
            escalate(v, Reason::SmtpUnavailable, Some(detail.clone()), None);
        }
    }
}

/// Whether an outcome is worth another attempt later: a temporary failure
/// (greylisting, other 4xx, 421) — never `mailbox_full`, never a refusal.
pub fn retryable(outcome: &SmtpOutcome) -> bool {
    match outcome {
        SmtpOutcome::Answered { stage, reply, .. } => {
            classify(*stage, reply).reason == Reason::TemporaryFailure
        }
        SmtpOutcome::Unavailable { .. } => false,
    }
}

/// The reply text as the verdict keeps it: lines joined by a space, bounded.
pub fn bounded_text(reply: &Reply) -> String {
    let mut text = reply.text();
    crate::bounds::truncate(&mut text, MAX_REPLY_TEXT);
    text
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Banner => "the connection",
        Stage::Ehlo => "EHLO",
        Stage::MailFrom => "MAIL FROM",
        Stage::RcptTo => "RCPT TO",
        Stage::Rset => "RSET",
        Stage::Other => "a command",
    }
}

fn deepen(v: &mut Verdict, depth: Depth) {
    if depth_rank(depth) > depth_rank(v.depth) {
        v.depth = depth;
    }
}

fn depth_rank(d: Depth) -> u8 {
    match d {
        Depth::Syntax => 0,
        Depth::Dns => 1,
        Depth::Smtp => 2,
    }
}

fn escalate(v: &mut Verdict, reason: Reason, detail: Option<String>, retry_after: Option<u32>) {
    if v.escalate(reason) {
        v.detail = detail;
    }
    v.retry_after = if v.reason == Reason::TemporaryFailure {
        retry_after.or(v.retry_after)
    } else {
        None
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mx::{plan, MxAnswer, MxDecision};
    use crate::{check, Options};

    fn opts() -> Options {
        Options {
            allow_special_use: true,
            ..Options::default()
        }
    }

    fn reply(raw: &str) -> Reply {
        Reply::parse(raw.as_bytes()).unwrap()
    }

    fn answered(raw: &str, catch_all: Option<bool>) -> SmtpOutcome {
        SmtpOutcome::Answered {
            mx: "mx.alpha.test".into(),
            stage: Stage::RcptTo,
            reply: reply(raw),
            tls: true,
            catch_all,
        }
    }

    #[test]
    fn suppression_outranks_all_but_syntax() {
        let record = SuppressionInfo {
            reason: "mailbox_disabled".into(),
            first_seen: "2026-03-14T09:26:53Z".parse().unwrap(),
            last_seen: "2026-03-14T09:26:53Z".parse().unwrap(),
            count: 1,
            source: "bounces.mbox".into(),
        };
        let mut v = check("gone@gmial.com", &opts());
        apply_suppression(&mut v, record.clone());
        assert_eq!((v.status, v.reason), (Status::Invalid, Reason::Suppressed));
        assert_eq!(v.suggestion.as_deref(), Some("gone@gmail.com"));
        assert_eq!(v.suppression.as_ref(), Some(&record));
        assert!(!needs_network(&v));
        assert_eq!(
            v.detail.as_deref(),
            Some("mailbox_disabled (first seen 2026-03-14T09:26:53Z, 1 time, from bounces.mbox)")
        );
        let mut bad = check("not an address", &opts());
        apply_suppression(&mut bad, record);
        assert_eq!(bad.reason, Reason::InvalidSyntax);
        assert_eq!(bad.suppression, None);
    }

    #[test]
    fn invalid_verdicts_need_no_network() {
        assert!(!needs_network(&check("nope", &opts())));
        assert!(needs_network(&check("a@alpha.test", &opts())));
        assert!(needs_network(&check("a@mailinator.com", &opts())));
    }

    #[test]
    fn disabled_reply_makes_the_address_invalid_at_depth_smtp() {
        let mut v = check("disabled@alpha.test", &opts());
        apply_smtp(
            &mut v,
            &answered(
                "550 5.2.1 <disabled@alpha.test>: Recipient address rejected: The email account that you tried to reach is disabled\r\n",
                Some(false),
            ),
        );
        assert_eq!(v.reason, Reason::MailboxDisabled);
        assert_eq!(v.status, Status::Invalid);
        assert_eq!(v.depth, Depth::Smtp);
        let smtp = v.smtp.unwrap();
        assert_eq!(smtp.code, Some(550));
        assert_eq!(smtp.enhanced.as_deref(), Some("5.2.1"));
        assert!(smtp.tls);
        assert!(v.detail.unwrap().contains("RCPT TO"));
    }

    #[test]
    fn acceptance_at_a_catch_all_domain_is_risky() {
        let mut v = check("x@catchall.test", &opts());
        apply_smtp(&mut v, &answered("250 2.1.5 Ok\r\n", Some(true)));
        assert_eq!(v.reason, Reason::CatchAll);
        assert!(v.smtp.as_ref().unwrap().catch_all);
        let mut v = check("x@alpha.test", &opts());
        apply_smtp(&mut v, &answered("250 2.1.5 Ok\r\n", Some(false)));
        assert_eq!(v.reason, Reason::Ok);
        assert_eq!(v.detail, None);
        assert_eq!(v.status, Status::Valid);
    }

    #[test]
    fn a_rejection_at_a_catch_all_domain_still_counts() {
        let mut v = check("x@catchall.test", &opts());
        apply_smtp(&mut v, &answered("550 5.1.1 No such user\r\n", Some(true)));
        assert_eq!(v.reason, Reason::DoesNotExist);
        assert!(v.smtp.unwrap().catch_all);
    }

    #[test]
    fn greylisting_keeps_retry_after() {
        let mut v = check("x@grey.test", &opts());
        apply_smtp(
            &mut v,
            &answered("450 4.7.1 greylisted, try again later\r\n", None),
        );
        assert_eq!(v.reason, Reason::TemporaryFailure);
        assert_eq!(v.retry_after, Some(crate::reply::GREYLIST_RETRY_SECS));
        // A later, more severe answer drops it.
        apply_smtp(&mut v, &answered("550 5.1.1 unknown\r\n", None));
        assert_eq!(v.reason, Reason::DoesNotExist);
        assert_eq!(v.retry_after, None);
    }

    #[test]
    fn only_temporary_failures_are_retried() {
        assert!(retryable(&answered("450 4.7.1 greylisted\r\n", None)));
        assert!(retryable(&answered("421 4.7.0 too many errors\r\n", None)));
        assert!(!retryable(&answered("452 4.2.2 Mailbox full\r\n", None)));
        assert!(!retryable(&answered("550 5.1.1 unknown\r\n", None)));
        assert!(!retryable(&answered("250 ok\r\n", None)));
    }

    #[test]
    fn reasons_only_escalate() {
        let mut v = check("x@mailinator.com", &Options::default());
        assert_eq!(v.reason, Reason::Disposable);
        apply_smtp(&mut v, &answered("250 ok\r\n", Some(false)));
        assert_eq!(v.reason, Reason::Disposable);
        assert_eq!(v.depth, Depth::Smtp);
        let mut v = check("x@gmial.com", &Options::default());
        assert_eq!(v.reason, Reason::PossibleTypo);
        apply_smtp(&mut v, &answered("550 5.1.1 no such user\r\n", None));
        assert_eq!(v.reason, Reason::DoesNotExist);
        assert!(v.suggestion.is_some(), "the suggestion stays useful");
    }

    #[test]
    fn mail_from_refusal_is_blocked() {
        let mut v = check("x@alpha.test", &opts());
        apply_smtp(
            &mut v,
            &SmtpOutcome::Answered {
                mx: "mx.alpha.test".into(),
                stage: Stage::MailFrom,
                reply: reply("554 5.7.1 Access denied\r\n"),
                tls: false,
                catch_all: None,
            },
        );
        assert_eq!(v.reason, Reason::Blocked);
        assert_eq!(
            v.detail.as_deref(),
            Some("mx.alpha.test answered MAIL FROM with 554")
        );
    }

    #[test]
    fn unreachable_servers_leave_depth_dns() {
        let mut v = check("x@alpha.test", &opts());
        apply_dns(&mut v, DnsInfo::default());
        apply_smtp(
            &mut v,
            &SmtpOutcome::Unavailable {
                mx: Some("mx.alpha.test".into()),
                answered: false,
                tls: false,
                detail: "connection refused".into(),
            },
        );
        assert_eq!(v.reason, Reason::SmtpUnavailable);
        assert_eq!(v.depth, Depth::Dns);
        assert!(v.smtp.is_none());
        let mut v = check("x@alpha.test", &opts());
        apply_smtp(
            &mut v,
            &SmtpOutcome::Unavailable {
                mx: Some("mx.alpha.test".into()),
                answered: true,
                tls: false,
                detail: "the server closed the connection".into(),
            },
        );
        assert_eq!(v.depth, Depth::Smtp);
        assert_eq!(v.smtp.unwrap().mx, "mx.alpha.test");
    }

    #[test]
    fn dns_outcomes() {
        let mut v = check("x@nxdomain.test", &opts());
        let MxDecision::Fail(f) = plan("nxdomain.test", MxAnswer::NxDomain { ttl: Some(60) }, 0)
        else {
            panic!("NXDOMAIN plans nothing")
        };
        apply_mx_failure(&mut v, &f);
        assert_eq!(v.reason, Reason::NoSuchDomain);
        assert_eq!(v.depth, Depth::Dns);
        assert!(v.detail.is_some());

        let mut v = check("x@alpha.test", &opts());
        let MxDecision::Plan(p) = plan(
            "alpha.test",
            MxAnswer::Records {
                records: vec![crate::verdict::MxRecord {
                    preference: 10,
                    exchange: "mx.alpha.test.".into(),
                }],
                ttl: Some(300),
            },
            0,
        ) else {
            panic!("one MX plans")
        };
        apply_plan(&mut v, &p);
        assert_eq!(v.depth, Depth::Dns);
        assert_eq!(v.reason, Reason::Ok);
        assert_eq!(v.dns.unwrap().mx[0].exchange, "mx.alpha.test");
    }

    #[test]
    fn reply_text_is_bounded_on_a_char_boundary() {
        let long = format!("550 {}\r\n", "é".repeat(400));
        let r = reply(&long);
        let t = bounded_text(&r);
        assert!(t.len() <= MAX_REPLY_TEXT);
    }
}
