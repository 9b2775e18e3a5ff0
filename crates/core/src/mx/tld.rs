//! The resolver guard: an NXDOMAIN is a verdict (`no_such_domain`) only when
//! the resolver is seen to tell names that exist from names that do not.
//!
//! Some resolvers answer NXDOMAIN for every name: a sandbox's, a filtering
//! resolver, a captive network. Taken at its word, such a resolver makes a
//! whole list `invalid`, and a list emptied of good addresses is worse than
//! no check. So after [`plan`](super::plan) or
//! [`ImplicitLookup::finish`](super::ImplicitLookup::finish) fails with
//! `no_such_domain`, the caller asks NS of the domain's top-level domain:
//!
//! - **The TLD exists** (NOERROR, with NS records or without: NODATA counts,
//!   as a static test zone answers): the NXDOMAIN stands.
//! - **The TLD does not exist** (NXDOMAIN): either the TLD really does not
//!   exist (`gmail.con`, a typo the resolver is right about) or the
//!   resolver denies everything. One more NS query tells them apart: for
//!   [`REFERENCE_TLD`] (`com`), which exists. If the resolver admits `com`,
//!   the NXDOMAIN stands; if it denies `com` too, it is lying, and the
//!   failure becomes `dns_error` with a [`ResolverFault`] that names the
//!   resolver (the CLI stops a `--file` run on it).
//! - **The NS query failed** (SERVFAIL, REFUSED, timeout): nothing is
//!   confirmed, and an unconfirmed NXDOMAIN must not make an address
//!   `invalid`: the failure becomes `dns_error`, without a fault (a failed
//!   query is a passing trouble, like any other `dns_error`).
//!
//! A single-label domain is its own TLD: its NXDOMAIN is judged the same
//! way (the NS query of the name itself, then `com`). Other failures
//! (`null_mx`, `no_mail_server`, `dns_error`) and positive answers never
//! ask. An answer may be cached for [`TldAnswer::cache_secs`]; a failure is
//! not cached (the next NXDOMAIN asks again).
//!
//! ```
//! use prebounce_core::mx::{guard, Guard, MxAnswer, MxDecision, TldAnswer, plan};
//! use prebounce_core::Reason;
//!
//! let MxDecision::Fail(failure) = plan("gmail.com", MxAnswer::NxDomain { ttl: None }, 0) else {
//!     unreachable!()
//! };
//! let Guard::Ask(question) = guard("gmail.com", failure, "the resolver 127.0.0.1:53") else {
//!     unreachable!()
//! };
//! assert_eq!(question.tld(), "com");
//! // The resolver says `com` does not exist: it is lying.
//! let Guard::Done(guarded) = question.answer(TldAnswer::Missing) else { unreachable!() };
//! assert_eq!(guarded.failure.reason, Reason::DnsError);
//! assert!(guarded.failure.detail.contains("the resolver 127.0.0.1:53"));
//! assert!(guarded.fault.is_some());
//! ```

use std::fmt;

use super::MxFailure;
use crate::verdict::Reason;

/// A top-level domain that exists, asked about when a domain's own TLD is
/// denied: a resolver that denies it too denies everything.
pub const REFERENCE_TLD: &str = "com";

/// How long an answer that a TLD exists may be cached, in seconds.
pub const TLD_EXISTS_CACHE_SECS: u32 = 86_400;

/// How long an answer that a TLD does not exist may be cached, in seconds:
/// short, so that a resolver set right is believed again soon.
pub const TLD_MISSING_CACHE_SECS: u32 = 300;

/// The top-level domain of `domain`: its last label, without a trailing dot
/// (the domain itself when it has one label). The case is kept: pass the
/// lower-case ASCII form (a verdict's `domain`).
pub fn tld_of(domain: &str) -> &str {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    domain.rsplit('.').next().unwrap_or(domain)
}

/// The outcome of the NS query for a top-level domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TldAnswer {
    /// NOERROR, with NS records or without (NODATA): the TLD exists.
    Exists,
    /// NXDOMAIN: the resolver says the TLD does not exist.
    Missing,
    /// The query failed (SERVFAIL, REFUSED, timeout …); the text says how.
    Failed(String),
}

impl TldAnswer {
    /// How long this answer may be cached, in seconds; `None` for a failure,
    /// which is never cached.
    pub fn cache_secs(&self) -> Option<u32> {
        match self {
            TldAnswer::Exists => Some(TLD_EXISTS_CACHE_SECS),
            TldAnswer::Missing => Some(TLD_MISSING_CACHE_SECS),
            TldAnswer::Failed(_) => None,
        }
    }
}

/// Where a failure stands with the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// Decided: the failure to report.
    Done(Guarded),
    /// Query NS of [`TldQuestion::tld`] and give the outcome to
    /// [`TldQuestion::answer`].
    Ask(TldQuestion),
}

/// The failure to report, and whether the resolver was caught lying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarded {
    /// The verdict's reason, `detail` and `dns`: as planned, or downgraded
    /// to `dns_error`.
    pub failure: MxFailure,
    /// Set when an NXDOMAIN became `dns_error` because the resolver denies
    /// the top-level domains themselves. Not set for the other downgrade (a
    /// failed NS query).
    pub fault: Option<ResolverFault>,
}

/// A resolver that answers NXDOMAIN for top-level domains that exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverFault {
    /// The resolver, as the caller named it (`the resolver 127.0.0.1:53`).
    pub resolver: String,
    /// The top-level domains it denied, the domain's own first, then
    /// [`REFERENCE_TLD`] (once when they are the same).
    pub denied: Vec<String>,
}

impl fmt::Display for ResolverFault {
    /// `the resolver 127.0.0.1:53 answered NXDOMAIN for the top-level
    /// domain com itself`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (noun, pronoun) = if self.denied.len() == 1 {
            ("domain", "itself")
        } else {
            ("domains", "themselves")
        };
        write!(
            f,
            "{} answered NXDOMAIN for the top-level {noun} {} {pronoun}",
            self.resolver,
            self.denied.join(" and ")
        )
    }
}

/// A pending NS query for a top-level domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TldQuestion {
    domain: String,
    failure: MxFailure,
    resolver: String,
    /// The domain's own TLD (lower case).
    own: String,
    /// `false`: asking about `own`; `true`: about [`REFERENCE_TLD`].
    reference: bool,
}

/// Starts the guard for a failure of [`plan`](super::plan) or
/// [`ImplicitLookup::finish`](super::ImplicitLookup::finish) for
/// `domain_ascii`. `resolver` names the resolver to people, as the details
/// will (`the resolver 127.0.0.1:53`, `the system resolver
/// (/etc/resolv.conf: 10.0.0.1)`). Only `no_such_domain` asks.
pub fn guard(domain_ascii: &str, failure: MxFailure, resolver: &str) -> Guard {
    if failure.reason != Reason::NoSuchDomain {
        return Guard::Done(Guarded {
            failure,
            fault: None,
        });
    }
    let domain = super::normalize_name(domain_ascii);
    let own = tld_of(&domain).to_owned();
    Guard::Ask(TldQuestion {
        domain,
        failure,
        resolver: resolver.to_owned(),
        own,
        reference: false,
    })
}

impl TldQuestion {
    /// The top-level domain to query NS for (lower case, no trailing dot).
    pub fn tld(&self) -> &str {
        if self.reference {
            REFERENCE_TLD
        } else {
            &self.own
        }
    }

    /// Goes on with the outcome of the NS query for [`TldQuestion::tld`].
    pub fn answer(self, answer: TldAnswer) -> Guard {
        let tld = self.tld().to_owned();
        match answer {
            TldAnswer::Exists => Guard::Done(Guarded {
                failure: self.failure,
                fault: None,
            }),
            TldAnswer::Failed(why) => {
                let why = why.trim();
                let why = if why.is_empty() {
                    String::new()
                } else {
                    format!(": {why}")
                };
                let detail = if self.reference {
                    format!(
                        "{} answered NXDOMAIN for {} and for its top-level domain {}, but the NS query for {tld} failed{why}; NXDOMAIN not trusted",
                        self.resolver, self.domain, self.own
                    )
                } else {
                    format!(
                        "{} answered NXDOMAIN for {}, but the NS query for its top-level domain {tld} failed{why}; NXDOMAIN not trusted",
                        self.resolver, self.domain
                    )
                };
                Guard::Done(downgraded(detail, None))
            }
            TldAnswer::Missing if !self.reference && self.own != REFERENCE_TLD => {
                Guard::Ask(TldQuestion {
                    reference: true,
                    ..self
                })
            }
            TldAnswer::Missing if self.reference => {
                // The domain's own TLD was denied before.
                Guard::Done(self.lying(vec![self.own.clone(), REFERENCE_TLD.to_owned()]))
            }
            TldAnswer::Missing => Guard::Done(self.lying(vec![REFERENCE_TLD.to_owned()])),
        }
    }

    fn lying(&self, denied: Vec<String>) -> Guarded {
        let fault = ResolverFault {
            resolver: self.resolver.clone(),
            denied,
        };
        let detail = format!("{fault}; its NXDOMAIN for {} is not trusted", self.domain);
        downgraded(detail, Some(fault))
    }
}

fn downgraded(detail: String, fault: Option<ResolverFault>) -> Guarded {
    Guarded {
        failure: MxFailure {
            reason: Reason::DnsError,
            detail,
            dns: None,
        },
        fault,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{plan, plan_implicit, AddressAnswer, MxAnswer, MxDecision};
    use super::*;

    const RESOLVER: &str = "the resolver 127.0.0.1:5353";

    fn nxdomain(domain: &str) -> MxFailure {
        match plan(domain, MxAnswer::NxDomain { ttl: Some(60) }, 0) {
            MxDecision::Fail(f) => f,
            other => panic!("{other:?}"),
        }
    }

    fn ask(g: Guard) -> TldQuestion {
        match g {
            Guard::Ask(q) => q,
            Guard::Done(d) => panic!("decided too early: {d:?}"),
        }
    }

    fn done(g: Guard) -> Guarded {
        match g {
            Guard::Done(d) => d,
            Guard::Ask(q) => panic!("still asking about {}", q.tld()),
        }
    }

    /// Runs the guard with NS answers by TLD; the TLDs asked, in order.
    fn run(domain: &str, answers: &[(&str, TldAnswer)]) -> (Guarded, Vec<String>) {
        let mut asked = Vec::new();
        let mut g = guard(domain, nxdomain(domain), RESOLVER);
        loop {
            match g {
                Guard::Done(d) => return (d, asked),
                Guard::Ask(q) => {
                    asked.push(q.tld().to_owned());
                    let a = answers
                        .iter()
                        .find(|(t, _)| *t == q.tld())
                        .unwrap_or_else(|| panic!("no answer for {}", q.tld()))
                        .1
                        .clone();
                    g = q.answer(a);
                }
            }
        }
    }

    #[test]
    fn the_tld_is_the_last_label() {
        assert_eq!(tld_of("gmail.com"), "com");
        assert_eq!(tld_of("mail.example.co.uk."), "uk");
        assert_eq!(tld_of("localhost"), "localhost");
        assert_eq!(tld_of("com."), "com");
        assert_eq!(tld_of(""), "");
    }

    #[test]
    fn a_tld_that_exists_keeps_the_nxdomain() {
        // NODATA (a static test zone) and NS records both say "exists".
        let (g, asked) = run("nxdomain.test", &[("test", TldAnswer::Exists)]);
        assert_eq!(asked, ["test"]);
        assert_eq!(g.failure, nxdomain("nxdomain.test"));
        assert_eq!(g.failure.reason, Reason::NoSuchDomain);
        assert_eq!(g.fault, None);
    }

    #[test]
    fn a_resolver_that_denies_com_is_not_trusted() {
        let (g, asked) = run("gmail.com", &[("com", TldAnswer::Missing)]);
        assert_eq!(asked, ["com"], "com is the reference: asked once");
        assert_eq!(g.failure.reason, Reason::DnsError);
        assert_eq!(g.failure.dns, None);
        let d = &g.failure.detail;
        assert!(d.contains(RESOLVER), "{d}");
        assert!(
            d.contains("NXDOMAIN for the top-level domain com itself"),
            "{d}"
        );
        assert!(d.contains("gmail.com"), "{d}");
        let fault = g.fault.expect("a fault");
        assert_eq!(fault.denied, ["com"]);
        assert_eq!(
            fault.to_string(),
            "the resolver 127.0.0.1:5353 answered NXDOMAIN for the top-level domain com itself"
        );
    }

    #[test]
    fn a_missing_tld_is_checked_against_com() {
        // An honest resolver: `con` does not exist, `com` does.
        let (g, asked) = run(
            "gmail.con",
            &[("con", TldAnswer::Missing), ("com", TldAnswer::Exists)],
        );
        assert_eq!(asked, ["con", "com"]);
        assert_eq!(g.failure.reason, Reason::NoSuchDomain);
        assert_eq!(g.fault, None);
        // A liar denies both.
        let (g, _) = run(
            "nxdomain.test",
            &[("test", TldAnswer::Missing), ("com", TldAnswer::Missing)],
        );
        assert_eq!(g.failure.reason, Reason::DnsError);
        let fault = g.fault.expect("a fault");
        assert_eq!(fault.denied, ["test", "com"]);
        assert!(fault
            .to_string()
            .ends_with("top-level domains test and com themselves"));
        // com cannot be asked: not confirmed.
        let (g, _) = run(
            "gmail.con",
            &[
                ("con", TldAnswer::Missing),
                (
                    "com",
                    TldAnswer::Failed("the server answered REFUSED".into()),
                ),
            ],
        );
        assert_eq!(g.failure.reason, Reason::DnsError);
        assert_eq!(g.fault, None);
        assert_eq!(
            g.failure.detail,
            "the resolver 127.0.0.1:5353 answered NXDOMAIN for gmail.con and for its top-level domain con, but the NS query for com failed: the server answered REFUSED; NXDOMAIN not trusted"
        );
    }

    #[test]
    fn a_failed_ns_query_confirms_nothing() {
        let (g, _) = run(
            "gone.example",
            &[("example", TldAnswer::Failed("no answer in time".into()))],
        );
        assert_eq!(g.failure.reason, Reason::DnsError);
        assert_eq!(g.fault, None, "a passing failure is not a lying resolver");
        let d = &g.failure.detail;
        assert!(
            d.contains(RESOLVER) && d.contains("no answer in time"),
            "{d}"
        );
        assert!(d.contains("top-level domain example"), "{d}");
    }

    #[test]
    fn single_label_domains_are_their_own_tld() {
        let (g, asked) = run(
            "nosuchtld",
            &[
                ("nosuchtld", TldAnswer::Missing),
                ("com", TldAnswer::Exists),
            ],
        );
        assert_eq!(asked, ["nosuchtld", "com"]);
        assert_eq!(g.failure.reason, Reason::NoSuchDomain);
        let (g, _) = run(
            "intranet",
            &[
                ("intranet", TldAnswer::Missing),
                ("com", TldAnswer::Missing),
            ],
        );
        assert!(g.fault.is_some());
        // `user@com` with a liar: the reference itself, asked once.
        let (g, asked) = run("com", &[("com", TldAnswer::Missing)]);
        assert_eq!(asked, ["com"]);
        assert_eq!(g.fault.unwrap().denied, ["com"]);
    }

    #[test]
    fn only_nxdomain_asks() {
        let refused = match plan("a.test", MxAnswer::Failed("REFUSED".into()), 0) {
            MxDecision::Fail(f) => f,
            other => panic!("{other:?}"),
        };
        let null = match plan(
            "nullmx.test",
            MxAnswer::Records {
                records: vec![crate::verdict::MxRecord {
                    preference: 0,
                    exchange: ".".into(),
                }],
                ttl: None,
            },
            0,
        ) {
            MxDecision::Fail(f) => f,
            other => panic!("{other:?}"),
        };
        let none = plan_implicit("amx.test", AddressAnswer::NoRecords { ttl: None }).unwrap_err();
        for f in [refused, null, none] {
            let g = done(guard("a.test", f.clone(), RESOLVER));
            assert_eq!(g.failure, f);
            assert_eq!(g.fault, None);
        }
        // The implicit-MX step's NXDOMAIN asks like the MX query's.
        let nx = plan_implicit("gone.test", AddressAnswer::NxDomain { ttl: None }).unwrap_err();
        let q = ask(guard("Gone.TEST.", nx, RESOLVER));
        assert_eq!(q.tld(), "test", "normalized");
    }

    #[test]
    fn answers_are_cached_failures_are_not() {
        assert_eq!(TldAnswer::Exists.cache_secs(), Some(86_400));
        assert_eq!(TldAnswer::Missing.cache_secs(), Some(300));
        assert_eq!(TldAnswer::Failed("x".into()).cache_secs(), None);
    }
}
