//! The depth-`syntax` verdict: syntax, then the offline data (disposable,
//! free, role, typos), with docs/DESIGN.md's reason precedence.
//!
//! [`Checker::assess`] gives the compact [`Assessment`] without allocating on
//! the common path (ASCII, lower-case domain): that is what list cleaning and
//! `checkMany` use. [`Checker::verdict`] builds the full [`Verdict`] from the
//! same evaluation, so the two can never disagree.
//!
//! Precedence at this depth: `invalid_syntax`, then `disposable`, then
//! `possible_typo`, then `role_account` (only with `role_is_risky`), else `ok`.

use crate::address::{self, Mailbox, SyntaxErrorCode};
use crate::data::Data;
use crate::disposable::Source;
use std::collections::HashMap;

use crate::hash::{domain_hash, IdBuild};
use crate::options::Options;
use crate::typo::{self, Suggestion};
use crate::verdict::{ErrorInfo, Flags, Reason, Status, Verdict};

/// The compact outcome of a syntax-depth check (no strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    /// Why; the status follows from it.
    pub reason: Reason,
    /// Facts about the address.
    pub flags: Flags,
    /// The syntax error, with `invalid_syntax`.
    pub error: Option<SyntaxErrorCode>,
    /// A typo correction of the domain, if one is likely.
    pub suggestion: Option<Suggestion>,
    /// Where the disposable match came from, when the domain is disposable.
    pub disposable_source: Option<Source>,
}

impl Assessment {
    /// The status implied by the reason.
    pub fn status(&self) -> Status {
        self.reason.status()
    }
}

/// What the data says about one domain.
#[derive(Debug, Clone, Copy)]
struct DomainFacts {
    free: bool,
    disposable: Option<Source>,
    suggestion: Option<Suggestion>,
}

/// Domain facts remembered across the addresses of one list (see
/// [`Checker::assess_memo`]). Keyed by the domain's 64-bit hash; bounded:
/// it starts over when full. Use one memo with one checker and its data.
#[derive(Debug, Default)]
pub struct DomainMemo {
    facts: HashMap<u64, DomainFacts, IdBuild>,
}

impl DomainMemo {
    /// Distinct domains remembered at most; past that the memo starts over.
    pub const CAPACITY: usize = 1 << 16;

    /// An empty memo.
    pub fn new() -> DomainMemo {
        DomainMemo::default()
    }

    fn get_or_insert(&mut self, hash: u64, compute: impl FnOnce() -> DomainFacts) -> DomainFacts {
        if let Some(f) = self.facts.get(&hash) {
            return *f;
        }
        if self.facts.len() >= Self::CAPACITY {
            self.facts.clear();
        }
        let f = compute();
        self.facts.insert(hash, f);
        f
    }
}

/// Checks addresses at depth `syntax` against one set of options and data.
#[derive(Debug, Clone, Copy)]
pub struct Checker<'d> {
    options: Options,
    data: &'d Data,
}

impl Checker<'static> {
    /// A checker over the built-in data.
    pub fn new(options: Options) -> Checker<'static> {
        Checker {
            options,
            data: Data::builtin(),
        }
    }
}

impl<'d> Checker<'d> {
    /// A checker over the given data.
    pub fn with_data(options: Options, data: &'d Data) -> Checker<'d> {
        Checker { options, data }
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The compact verdict for one input.
    pub fn assess(&self, input: &str) -> Assessment {
        self.evaluate(input).0
    }

    /// The full verdict for one input, at depth `syntax`.
    pub fn verdict(&self, input: &str) -> Verdict {
        let (a, mailbox) = self.evaluate(input);
        let mut v = Verdict::new(input.to_owned(), a.reason);
        v.flags = a.flags;
        if let Some(code) = a.error {
            v.message = Some(code.message().to_owned());
            v.error = Some(ErrorInfo {
                code,
                message: code.message().to_owned(),
            });
        }
        match mailbox {
            Some(m) => {
                v.address = Some(m.address());
                v.address_unicode = Some(m.address_unicode());
                v.suggestion = a
                    .suggestion
                    .map(|s| format!("{}@{}", m.local, s.apply(m.domain.ascii())));
                if let (Reason::PossibleTypo, Some(s)) = (a.reason, &v.suggestion) {
                    v.message = Some(format!(
                        "This address may contain a typo: did you mean {s}?"
                    ));
                }
                v.detail = self.detail(&a, m.domain.ascii());
                v.local = Some(m.local.into_owned());
                v.domain_unicode = Some(m.domain.unicode().into_owned());
                v.domain = Some(m.domain.ascii().to_owned());
            }
            None => {
                if let (Some(s), Some((local, domain))) = (a.suggestion, split_raw(input)) {
                    v.suggestion = Some(format!("{local}@{}", s.apply(domain)));
                }
            }
        }
        v
    }

    /// Like [`assess`](Self::assess), remembering what it learns about each
    /// domain in `memo`, so a list where domains repeat (most lists) looks
    /// each domain up once. The answers are the same as `assess`'s.
    pub fn assess_memo(&self, input: &str, memo: &mut DomainMemo) -> Assessment {
        self.evaluate_with(input, Some(memo)).0
    }

    fn evaluate<'a>(&self, input: &'a str) -> (Assessment, Option<Mailbox<'a>>) {
        self.evaluate_with(input, None)
    }

    fn evaluate_with<'a>(
        &self,
        input: &'a str,
        memo: Option<&mut DomainMemo>,
    ) -> (Assessment, Option<Mailbox<'a>>) {
        let mut a = Assessment {
            reason: Reason::Ok,
            flags: Flags::default(),
            error: None,
            suggestion: None,
            disposable_source: None,
        };
        let m = match address::parse(input, &self.options) {
            Ok(m) => m,
            Err(code) => {
                a.reason = Reason::InvalidSyntax;
                a.error = Some(code);
                if code == SyntaxErrorCode::DomainSingleLabel {
                    a.suggestion = split_raw(input)
                        .and_then(|(_, d)| typo::suggest_dotless(&d.to_ascii_lowercase()));
                }
                return (a, None);
            }
        };
        a.flags.smtputf8 = m.smtputf8;
        a.flags.role = !m.quoted && self.data.is_role(&m.local);
        if !m.domain.is_literal() {
            let domain = m.domain.ascii();
            let h = domain_hash(domain);
            let facts = match memo {
                Some(memo) => memo.get_or_insert(h, || self.domain_facts(domain, h)),
                None => self.domain_facts(domain, h),
            };
            a.flags.free = facts.free;
            a.suggestion = facts.suggestion;
            a.disposable_source = facts.disposable;
            a.flags.disposable = facts.disposable.is_some();
        }
        a.reason = if a.flags.disposable {
            Reason::Disposable
        } else if a.suggestion.is_some() {
            Reason::PossibleTypo
        } else if a.flags.role && self.options.role_is_risky {
            Reason::RoleAccount
        } else {
            Reason::Ok
        };
        (a, Some(m))
    }

    /// What the data says about a lower-case ASCII domain (`h` is its hash).
    fn domain_facts(&self, domain: &str, h: u64) -> DomainFacts {
        let (free, known) = self.data.known(h);
        let mut facts = DomainFacts {
            free,
            disposable: None,
            suggestion: None,
        };
        if !known {
            facts.suggestion = typo::suggest(domain);
            // One edit from a major provider is a typo even when a public
            // list carries the domain (lists collect typosquats such as
            // gmial.com): the user meant the provider, so the correction,
            // not "disposable", is the useful answer.
            if !matches!(facts.suggestion, Some(Suggestion::Domain(_))) {
                facts.disposable = self.data.disposable.lookup_hashed(domain, h);
            }
        }
        facts
    }

    fn detail(&self, a: &Assessment, domain: &str) -> Option<String> {
        let (_, curated) = self.data.disposable.counts();
        match (a.reason, a.disposable_source) {
            (Reason::Disposable, Some(Source::Added)) => {
                Some(format!("{domain} is on the caller's list of disposable domains"))
            }
            (Reason::Disposable, Some(_)) => Some(format!("{domain} is a known disposable email service")),
            (Reason::PossibleTypo, _) => a.suggestion.map(|s| format!("{domain} looks like a typo of {}", s.apply(domain))),
            _ if !self.data.disposable.has_full() && !a.flags.free => Some(format!(
                "Disposable domains were checked against the built-in list of {curated} common services only; \
                 the full list is not loaded"
            )),
            _ => None,
        }
    }
}

/// The `invalid_syntax` verdict for an item that is not usable text: `code`
/// is [`SyntaxErrorCode::NotAString`] or [`SyntaxErrorCode::InvalidEncoding`];
/// `input` is what can be shown of it (lossy text, or a JSON rendering).
pub fn unreadable(input: String, code: SyntaxErrorCode) -> Verdict {
    let mut v = Verdict::new(input, Reason::InvalidSyntax);
    v.message = Some(code.message().to_owned());
    v.error = Some(ErrorInfo {
        code,
        message: code.message().to_owned(),
    });
    v
}

/// Splits raw input at its last `@` (trimmed), for suggestions on invalid input.
fn split_raw(input: &str) -> Option<(&str, &str)> {
    input
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .rsplit_once('@')
}

/// The depth-`syntax` verdict for one address with the built-in data.
pub fn check(input: &str, options: &Options) -> Verdict {
    Checker::new(*options).verdict(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Verdict {
        check(s, &Options::default())
    }

    #[test]
    fn design_example() {
        let v = v("John.Doe@Bücher.DE");
        let json: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(json["address"], "John.Doe@xn--bcher-kva.de");
        assert_eq!(json["address_unicode"], "John.Doe@bücher.de");
        assert_eq!(json["local"], "John.Doe");
        assert_eq!(json["domain"], "xn--bcher-kva.de");
        assert_eq!(json["domain_unicode"], "bücher.de");
        assert_eq!(json["status"], "valid");
        assert_eq!(json["reason"], "ok");
        assert_eq!(json["depth"], "syntax");
        assert_eq!(json["message"], serde_json::Value::Null);
        assert_eq!(
            json["flags"],
            serde_json::json!({"disposable": false, "role": false, "free": false, "smtputf8": false})
        );
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "input",
                "address",
                "address_unicode",
                "local",
                "domain",
                "domain_unicode",
                "status",
                "reason",
                "depth",
                "message",
                "detail",
                "suggestion",
                "retry_after",
                "flags",
                "error",
                "dns",
                "smtp"
            ]
        );
    }

    #[test]
    fn syntax_error_carries_code_and_message() {
        let v = v("john..doe@example.com");
        assert_eq!(
            (v.status, v.reason),
            (Status::Invalid, Reason::InvalidSyntax)
        );
        let e = v.error.unwrap();
        assert_eq!(e.code, SyntaxErrorCode::LocalDot);
        assert_eq!(v.message.as_deref(), Some(e.message.as_str()));
        assert!(v.address.is_none());
    }

    #[test]
    fn disposable_wins_over_role_and_typo() {
        let v = v("info@mailinator.com");
        assert_eq!((v.status, v.reason), (Status::Risky, Reason::Disposable));
        assert!(v.flags.disposable && v.flags.role);
        assert_eq!(
            v.message.as_deref(),
            Some("This address uses a disposable email service.")
        );
        assert_eq!(
            check("x@sub.mailinator.com", &Options::default()).reason,
            Reason::Disposable
        );
    }

    #[test]
    fn typos_suggest_the_whole_address() {
        let v = v("john@gmial.com");
        assert_eq!((v.status, v.reason), (Status::Risky, Reason::PossibleTypo));
        assert_eq!(v.suggestion.as_deref(), Some("john@gmail.com"));
        assert_eq!(
            v.message.as_deref(),
            Some("This address may contain a typo: did you mean john@gmail.com?")
        );
        assert_eq!(
            check("john@gmail.con", &Options::default())
                .suggestion
                .as_deref(),
            Some("john@gmail.com")
        );
        assert_eq!(
            check("john@hotmial.com", &Options::default())
                .suggestion
                .as_deref(),
            Some("john@hotmail.com")
        );
        for real in ["a@mail.com", "a@gmx.de", "a@yahoo.co.uk", "a@gmail.com"] {
            let v = check(real, &Options::default());
            assert_eq!((v.reason, v.suggestion), (Reason::Ok, None), "{real}");
        }
        let v = check("john@gmailcom", &Options::default());
        assert_eq!(v.reason, Reason::InvalidSyntax);
        assert_eq!(v.suggestion.as_deref(), Some("john@gmail.com"));
    }

    #[test]
    fn roles_are_risky_only_when_asked() {
        assert_eq!(v("info@example.com").reason, Reason::Ok);
        assert!(v("info@example.com").flags.role);
        let o = Options {
            role_is_risky: true,
            ..Options::default()
        };
        assert_eq!(check("Info@example.com", &o).reason, Reason::RoleAccount);
    }

    #[test]
    fn free_and_smtputf8_flags() {
        assert!(v("a@gmail.com").flags.free);
        let v = v("josé@example.com");
        assert!(v.flags.smtputf8);
        assert_eq!(v.reason, Reason::Ok);
    }

    #[test]
    fn memo_gives_the_same_answers() {
        let c = Checker::new(Options::default());
        let mut memo = DomainMemo::new();
        let inputs = [
            "a@gmail.com",
            "b@gmail.com",
            "x@mailinator.com",
            "y@mailinator.com",
            "j@gmial.com",
            "k@gmial.com",
            "bad",
            "z@example.con",
        ];
        for _ in 0..2 {
            for s in inputs {
                assert_eq!(c.assess_memo(s, &mut memo), c.assess(s), "{s}");
            }
        }
        assert_eq!(memo.facts.len(), 4);
    }

    #[test]
    fn assess_matches_verdict() {
        let c = Checker::new(Options::default());
        for s in [
            "a@gmail.com",
            "bad",
            "x@mailinator.com",
            "john@gmial.com",
            "用户@例子.中国",
        ] {
            let a = c.assess(s);
            let v = c.verdict(s);
            assert_eq!(
                (a.reason, a.flags, a.error),
                (v.reason, v.flags, v.error.map(|e| e.code)),
                "{s}"
            );
        }
    }
}
